"""Turning submitted HTML forms into the API's input schemas (the same validation as the API)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from erpai.web.render import optional_int

IGNORED = {"csrf_token"}


def form_values(
    form: FormData,
    *,
    ints: Iterable[str] = (),
    nullable: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> dict[str, Any]:
    """One value per field (the last: a checked box overrides its hidden "false"); blank ``nullable``
    fields become None and ``ints`` become numbers (blank: None)."""
    keep = set(only) if only is not None else None
    ints, nullable = set(ints), set(nullable)
    values: dict[str, Any] = {}
    for key in dict.fromkeys(form.keys()):
        if key in IGNORED or (keep is not None and key not in keep):
            continue
        raw = form.getlist(key)[-1]
        value = raw if isinstance(raw, str) else ""
        if key in ints:
            values[key] = optional_int(value)
        elif key in nullable and not value.strip():
            values[key] = None
        else:
            values[key] = value
    return values


async def read_form(request: Request) -> FormData:
    return await request.form()
