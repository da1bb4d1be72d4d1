"""``{Field}`` and one-level ``{Party.Name}`` interpolation: checked at rule save, filled when it fires."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from erpai.errors import InvalidInput
from erpai.records.kinds import KINDS, KindSpec, snake_case

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}")
Lookup = Callable[[str, str | None], Any]


def placeholders(text: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in PLACEHOLDER.finditer(text)]


def known_field(entity: str, declared: list[str] | None, name: str, sub: str | None) -> bool:
    spec = KINDS.get(entity)
    if spec is None:
        return (f"{name}.{sub}" if sub else name) in (declared or [])
    if sub is None:
        return spec.by_pascal(name) is not None
    target = relation_kind(spec, name)
    return target is not None and target.by_pascal(sub) is not None


def relation_kind(spec: KindSpec, relation: str) -> KindSpec | None:
    field = next((f for f in spec.fields if f.relation == relation), None)
    return KINDS.get(field.ref or "") if field is not None else None


def check_template(text: str, *, entity: str, declared: list[str] | None, where: str) -> None:
    for name, sub in placeholders(text):
        if not known_field(entity, declared, name, sub):
            shown = f"{name}.{sub}" if sub else name
            raise InvalidInput(
                f"{where}: unknown field '{{{shown}}}' for {entity}; fields: "
                f"{', '.join(field_names(entity, declared))}",
                field=where,
            )


def field_names(entity: str, declared: list[str] | None) -> list[str]:
    """What a rule on ``entity`` may interpolate (the rule editor offers these)."""
    spec = KINDS.get(entity)
    if spec is None:
        return list(declared or [])
    names = [f.pascal for f in spec.fields]
    for field in spec.fields:
        target = KINDS.get(field.ref or "")
        if field.relation and target is not None:
            names.extend(f"{field.relation}.{f.pascal}" for f in target.fields)
    return names


def render(text: str, lookup: Lookup) -> str:
    return PLACEHOLDER.sub(lambda m: str(lookup(m.group(1), m.group(2))), text)


def record_value(record: dict[str, Any], name: str) -> Any:
    """A field of a record sent as JSON: by its own name, or the snake_case / PascalCase form."""
    for key in (name, snake_case(name)):
        if key in record:
            return record[key]
    return None
