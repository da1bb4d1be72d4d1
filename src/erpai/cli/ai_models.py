"""``erpai model``: add, list, show and update models."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models import service
from erpai.ai_models.schemas import ModelCreate, ModelRead, ModelUpdate
from erpai.cli.acting import AsOption, acting_user, acting_user_id
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors, print_json
from erpai.cli.remote import remote_client
from erpai.common import PageParams
from erpai.errors import NotFound
from erpai.providers.models import Provider

model_app = typer.Typer(help="Models (assistants and chat arbiters).", no_args_is_help=True)

LIST_COLUMNS = [
    "id",
    "name",
    "is_default",
    "build_assistant",
    "parent_model_id",
    "provider_id",
    "virtual_user_id",
]
CLEAR_HINT = ' (update: "" clears it)'
CLEARABLE_TEXT = {"system_message", "notes", "fallback_answer"}

# Options shared by add and update; None means "not given" so update changes only what is passed.
SystemMessageOpt = typer.Option(None, "--system-message", help="The model's system message" + CLEAR_HINT)
NotesOpt = typer.Option(None, "--notes", help="Free notes" + CLEAR_HINT)
ParentOpt = typer.Option(None, "--parent", help="Parent model name or id" + CLEAR_HINT)
ProviderOpt = typer.Option(None, "--provider", help="Provider name or id" + CLEAR_HINT)
VirtualUserOpt = typer.Option(None, "--virtual-user", help="Login of the model's virtual user" + CLEAR_HINT)
CreateVirtualOpt = typer.Option(False, "--create-virtual-user", help="Create the --virtual-user if missing.")
DefaultOpt = typer.Option(
    None, "--default/--no-default", help="Make it the default model (clears the old one)."
)
BuildAssistantOpt = typer.Option(None, "--build-assistant/--no-build-assistant")
AutoUpdateOpt = typer.Option(
    None, "--auto-update/--no-auto-update", help="Activate each new successful build."
)
GateOpt = typer.Option(None, "--quality-gate/--no-quality-gate", help="Hold back builds that score worse.")
MarginOpt = typer.Option(None, "--quality-gate-margin", help="Allowed score drop (0..1).")
FallbackOpt = typer.Option(
    None, "--fallback-answer", help="Said when no confident answer exists" + CLEAR_HINT
)
OperatingPointOpt = typer.Option(
    None, "--operating-point", help="reject_more, balanced, answer_more or a confidence threshold (0..1)."
)
CuratedOpt = typer.Option(None, "--prefer-curated/--no-prefer-curated", help="Prefer the curated Q&A answer.")


@model_app.command("add")
@handle_errors
def add_model(
    name: str = typer.Argument(..., help="Model name (unique)."),
    system_message: str | None = SystemMessageOpt,
    notes: str | None = NotesOpt,
    parent: str | None = ParentOpt,
    provider: str | None = ProviderOpt,
    virtual_user: str | None = VirtualUserOpt,
    create_virtual_user: bool = CreateVirtualOpt,
    default: bool | None = DefaultOpt,
    build_assistant: bool | None = BuildAssistantOpt,
    auto_update: bool | None = AutoUpdateOpt,
    quality_gate: bool | None = GateOpt,
    quality_gate_margin: float | None = MarginOpt,
    fallback_answer: str | None = FallbackOpt,
    prefer_curated: bool | None = CuratedOpt,
    operating_point: str | None = OperatingPointOpt,
    as_json: bool = JsonOption,
) -> None:
    """Add a model."""
    with cli_session() as session:
        values = _plain_values(
            system_message=system_message,
            notes=notes,
            is_default=default,
            build_assistant=build_assistant,
            auto_update_to_latest_build=auto_update,
            quality_gate_enabled=quality_gate,
            quality_gate_margin=quality_gate_margin,
            fallback_answer=fallback_answer,
            prefer_curated_answer=prefer_curated,
            operating_point=operating_point,
        )
        values.update(_references(session, name, parent, provider, virtual_user, create_virtual_user))
        actor_id = acting_user_id(session, None)
        model = service.create_model(session, data=ModelCreate(name=name, **values), actor_id=actor_id)
        emit(ModelRead.model_validate(model), as_json, [])


@model_app.command("update")
@handle_errors
def update_model(
    model: str = typer.Argument(..., help="Model id or name."),
    name: str | None = typer.Option(None, "--name", help="New name."),
    system_message: str | None = SystemMessageOpt,
    notes: str | None = NotesOpt,
    parent: str | None = ParentOpt,
    provider: str | None = ProviderOpt,
    virtual_user: str | None = VirtualUserOpt,
    create_virtual_user: bool = CreateVirtualOpt,
    default: bool | None = DefaultOpt,
    build_assistant: bool | None = BuildAssistantOpt,
    auto_update: bool | None = AutoUpdateOpt,
    quality_gate: bool | None = GateOpt,
    quality_gate_margin: float | None = MarginOpt,
    fallback_answer: str | None = FallbackOpt,
    prefer_curated: bool | None = CuratedOpt,
    operating_point: str | None = OperatingPointOpt,
    as_json: bool = JsonOption,
) -> None:
    """Change a model: only the options given are changed."""
    with cli_session() as session:
        target = service.find_model(session, ref=model)
        values = _plain_values(
            name=name,
            system_message=system_message,
            notes=notes,
            is_default=default,
            build_assistant=build_assistant,
            auto_update_to_latest_build=auto_update,
            quality_gate_enabled=quality_gate,
            quality_gate_margin=quality_gate_margin,
            fallback_answer=fallback_answer,
            prefer_curated_answer=prefer_curated,
            operating_point=operating_point,
        )
        values.update(_references(session, target.name, parent, provider, virtual_user, create_virtual_user))
        actor_id = acting_user_id(session, None)
        updated = service.update_model(
            session, model_id=target.id, data=ModelUpdate(**values), actor_id=actor_id
        )
        emit(ModelRead.model_validate(updated), as_json, [])


@model_app.command("list")
@handle_errors
def list_models(
    name: str | None = typer.Option(None, "--name", help="Only models whose name contains this."),
    as_json: bool = JsonOption,
) -> None:
    """List models."""
    client = remote_client()
    if client is not None:
        with client:
            emit(client.list_models(name=name), as_json, LIST_COLUMNS)
        return
    with cli_session() as session:
        rows, _ = service.list_models(session, params=PageParams(limit=10_000, offset=0), name=name)
        emit([ModelRead.model_validate(r) for r in rows], as_json, LIST_COLUMNS)


@model_app.command("show")
@handle_errors
def show_model(
    model: str = typer.Argument(..., help="Model id or name."), as_json: bool = JsonOption
) -> None:
    """Show one model."""
    client = remote_client()
    if client is not None:
        with client:
            emit(client.find_model(model), as_json, [])
        return
    with cli_session() as session:
        emit(ModelRead.model_validate(service.find_model(session, ref=model)), as_json, [])


def _plain_values(**options: Any) -> dict[str, Any]:
    """The options actually given (None = not given); an empty text clears a nullable field."""
    given = {key: value for key, value in options.items() if value is not None}
    return {key: (None if key in CLEARABLE_TEXT and value == "" else value) for key, value in given.items()}


def _references(
    session: Session,
    model_name: str,
    parent: str | None,
    provider: str | None,
    virtual_user: str | None,
    create_virtual_user: bool,
) -> dict[str, int | None]:
    """Turns names into ids; an empty string means "clear" (None), an absent option is left out."""
    refs: dict[str, int | None] = {}
    if parent is not None:
        refs["parent_model_id"] = service.find_model(session, ref=parent).id if parent else None
    if provider is not None:
        refs["provider_id"] = _find_provider(session, provider) if provider else None
    if virtual_user is not None:
        refs["virtual_user_id"] = (
            service.ensure_virtual_user(
                session, login=virtual_user, name=model_name, create=create_virtual_user
            ).id
            if virtual_user
            else None
        )
    return refs


def _find_provider(session: Session, ref: str) -> int:
    """By id when the reference is a number and such a provider exists, else by exact name."""
    provider = session.get(Provider, int(ref)) if ref.isdigit() else None
    if provider is None:
        provider = session.scalar(select(Provider).where(Provider.name == ref))
    if provider is None:
        raise NotFound(f"provider '{ref}' does not exist", field="provider")
    return provider.id


@model_app.command("delete")
@handle_errors
def delete_model(
    model: str = typer.Argument(..., help="Model id or name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_login: str = AsOption,
) -> None:
    """Delete a model with its Q&As, training conversations and builds (its children stay, parentless)."""
    with cli_session() as session:
        target = service.find_model(session, ref=model)
        actor = acting_user(session, as_login)
        if not yes:
            typer.confirm(
                f"delete model '{target.name}' with its Q&As, conversations and builds?", abort=True
            )
        service.delete_model(session, model_id=target.id, actor_id=actor.id)
    typer.echo(f"model '{target.name}' deleted")


@model_app.command("hierarchy")
@handle_errors
def show_hierarchy(
    model: str = typer.Argument(..., help="Model id or name."), as_json: bool = JsonOption
) -> None:
    """The model and its descendants (a parent learns what its children know)."""
    with cli_session() as session:
        nodes = service.model_hierarchy(session, model_id=service.find_model(session, ref=model).id)
    if as_json:
        print_json(nodes)
        return
    for node in nodes:
        typer.echo(f"{'  ' * node.depth}{node.name} (#{node.id})")
