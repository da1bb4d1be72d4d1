"""``erpai provider``: add, list, show, test, remove. API keys come from an environment variable only."""

from __future__ import annotations

import os
from typing import Any

import typer
from pydantic import SecretStr

from erpai.cli.acting import acting_user_id
from erpai.cli.output import (
    JsonOption,
    cli_session,
    console,
    emit,
    err_console,
    fail,
    handle_errors,
    print_json,
)
from erpai.common import PageParams
from erpai.providers import service
from erpai.providers.schemas import ProviderCreate, ProviderUpdate

provider_app = typer.Typer(
    help="AI providers (OpenAI, OpenAI-compatible servers, local).", no_args_is_help=True
)
LIST_COLUMNS = ["id", "name", "kind", "base_model_name", "capabilities", "api_key_mask"]


def _key_from_env(var: str | None) -> SecretStr | None:
    if not var:
        return None
    value = os.environ.get(var)
    if not value:
        raise fail(f"the environment variable {var} is not set or empty (--api-key-env)")
    return SecretStr(value)


def _openai_config(
    base_url: str | None, organization: str | None, embedding_model: str | None, disabled: list[str]
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "base_url": base_url,
        "organization": organization,
        "embedding_model": embedding_model,
    }
    for capability in disabled:
        config[f"supports_{capability}"] = False
    return {k: v for k, v in config.items() if v is not None}


@provider_app.command("add")
@handle_errors
def add_provider(
    name: str,
    kind: str = typer.Option("openai", help="Provider kind: openai or local."),
    base_url: str = typer.Option(None, help="OpenAI-compatible server URL, e.g. http://localhost:11434/v1."),
    api_key_env: str = typer.Option(None, help="Name of the environment variable that holds the API key."),
    base_model: str = typer.Option(None, help="Base model name, e.g. gpt-4o-mini."),
    organization: str = typer.Option(None, help="OpenAI organization id."),
    embedding_model: str = typer.Option(None, help="Embedding model name on the server."),
    no_chat: bool = typer.Option(False, "--no-chat", help="The server cannot chat."),
    no_embeddings: bool = typer.Option(False, "--no-embeddings", help="The server has no embeddings."),
    no_fine_tune: bool = typer.Option(False, "--no-fine-tune", help="The server has no fine-tuning."),
    embedder: str = typer.Option(None, help="Local embedder name (kind local)."),
    build_embeddings: bool = typer.Option(
        False, "--build-embeddings", help="Builds embed with the server's embedding model (not built-in)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add a provider. The key is read from --api-key-env VAR, never from the command line."""
    if kind == "local":
        config: dict[str, Any] = {"embedder": embedder} if embedder else {}
    else:
        flags = {"chat": no_chat, "embeddings": no_embeddings, "fine_tune": no_fine_tune}
        config = _openai_config(
            base_url, organization, embedding_model, [c for c, off in flags.items() if off]
        )
        if build_embeddings:
            config["build_embeddings"] = True
    data = ProviderCreate(
        name=name, kind=kind, base_model_name=base_model, config=config, api_key=_key_from_env(api_key_env)
    )
    with cli_session() as session:
        row = service.create_provider(session, data=data, actor_id=acting_user_id(session, None))
        emit(service.to_read(row), as_json, [])


@provider_app.command("list")
@handle_errors
def list_providers(
    kind: str = typer.Option(None, help="Only this kind."), as_json: bool = JsonOption
) -> None:
    """List providers (keys are shown masked)."""
    with cli_session() as session:
        rows, _ = service.list_providers(session, params=PageParams(limit=10_000, offset=0), kind=kind)
        emit([service.to_read(r) for r in rows], as_json, LIST_COLUMNS)


@provider_app.command("show")
@handle_errors
def show_provider(
    provider: str = typer.Argument(..., help="Provider name or id."), as_json: bool = JsonOption
) -> None:
    """Show one provider (the key only masked)."""
    with cli_session() as session:
        emit(service.to_read(service.find_provider(session, ref=provider)), as_json, [])


@provider_app.command("remove")
@handle_errors
def remove_provider(provider: str = typer.Argument(..., help="Provider name or id.")) -> None:
    """Delete a provider that no model uses."""
    with cli_session() as session:
        row = service.find_provider(session, ref=provider)
        service.delete_provider(session, provider_id=row.id, actor_id=acting_user_id(session, None))
        typer.echo(f"provider '{row.name}' removed")


@provider_app.command("update")
@handle_errors
def update_provider(
    provider: str = typer.Argument(..., help="Provider name or id."),
    name: str = typer.Option(None, help="New name."),
    base_url: str = typer.Option(
        None, help="New server URL ('' for OpenAI's own API); clears the stored key unless --api-key-env."
    ),
    api_key_env: str = typer.Option(None, help="Name of the environment variable that holds the new key."),
    clear_api_key: bool = typer.Option(False, "--clear-api-key", help="Remove the stored key."),
    base_model: str = typer.Option(None, help="New base model name."),
    organization: str = typer.Option(None, help="OpenAI organization id ('' removes it)."),
    embedding_model: str = typer.Option(None, help="Embedding model name on the server ('' removes it)."),
    build_embeddings: bool = typer.Option(
        None, "--build-embeddings/--builtin-embeddings", help="Builds embed with the server's model or not."
    ),
    notes: str = typer.Option(None, "--notes"),
    as_json: bool = JsonOption,
) -> None:
    """Change a provider: only the options given are changed. Keys come from --api-key-env only."""
    if api_key_env and clear_api_key:
        raise fail("give --api-key-env or --clear-api-key, not both")
    config: dict[str, Any] = {
        key: (value or None)
        for key, value in (
            ("base_url", base_url),
            ("organization", organization),
            ("embedding_model", embedding_model),
        )
        if value is not None
    }
    if build_embeddings is not None:
        config["build_embeddings"] = build_embeddings
    given: dict[str, Any] = {
        "name": name,
        "base_model_name": base_model,
        "notes": notes,
        "config": config or None,
    }
    values = {key: value for key, value in given.items() if value is not None}
    if api_key_env or clear_api_key:
        values["api_key"] = None if clear_api_key else _key_from_env(api_key_env)
    data = ProviderUpdate(**values)
    with cli_session() as session:
        row = service.find_provider(session, ref=provider)
        updated, notices = service.update_provider(
            session, provider_id=row.id, data=data, actor_id=acting_user_id(session, None)
        )
        emit(service.to_read(updated, notices=notices), as_json, [])
    for notice in notices:
        err_console.print(f"note: {notice}", highlight=False, markup=False)


def _yes_no(value: bool | None) -> str:
    return "not checked" if value is None else ("yes" if value else "NO")


@provider_app.command("test")
@handle_errors
def test_provider(
    provider: str = typer.Argument(..., help="Provider name or id."), as_json: bool = JsonOption
) -> None:
    """Make a few cheap calls and say what works: chat, embeddings, fine_tune. Exit 1 if something fails."""
    with cli_session() as session:
        result = service.probe_provider(service.find_provider(session, ref=provider))
    if as_json:
        print_json(result)
    else:
        for line in result.messages:
            console.print(f"  {line}", highlight=False, markup=False)
        for label, value in (
            ("chat", result.chat),
            ("embeddings", result.embeddings),
            ("fine_tune", result.fine_tune),
        ):
            console.print(f"{label}: {_yes_no(value)}", highlight=False, markup=False)
    if not result.ok:
        raise fail(
            f"provider '{result.provider}' does not work as configured: {_first_problem(result.messages)}"
        )
    if not as_json:
        console.print(f"provider '{result.provider}' works", highlight=False, markup=False)


def _first_problem(messages: list[str]) -> str:
    problems = [m for m in messages if ": no (" in m or m.startswith("provider '")]
    return problems[0] if problems else "see above"
