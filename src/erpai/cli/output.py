"""CLI output: rich tables for people, ``--json`` for scripts, and errors as a message plus exit code."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from erpai.db import session_factory
from erpai.errors import DomainError

console = Console()
err_console = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")

JsonOption = typer.Option(False, "--json", help="Print JSON for scripts.")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turns domain and input errors into 'error: …' on stderr and a non-zero exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            where = f" ({exc.field})" if exc.field else ""
            raise fail(f"{exc.message}{where}", code=2 if exc.status_code == 404 else 1) from None
        except (ValueError, OSError) as exc:
            raise fail(str(exc)) from None

    return wrapper


@contextmanager
def cli_session() -> Iterator[Session]:
    session = session_factory()()
    try:
        yield session
    finally:
        session.close()


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2, default=str))


def print_table(rows: Sequence[BaseModel], columns: Sequence[str], title: str | None = None) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        data = row.model_dump()
        table.add_row(*["" if data.get(c) is None else str(data.get(c)) for c in columns])
    console.print(table)


def emit(value: BaseModel | Sequence[BaseModel], as_json: bool, columns: Sequence[str]) -> None:
    if as_json:
        print_json(value)
    elif isinstance(value, BaseModel):
        for key, item in value.model_dump().items():
            console.print(f"[bold]{key}[/bold]: {item}", highlight=False)
    else:
        print_table(value, columns)
