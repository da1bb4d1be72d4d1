"""``erpai compile``, ``erpai build …``, ``erpai ask`` and ``erpai worker``."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from erpai.ai_models.service import find_model
from erpai.answering.service import ask
from erpai.cli.acting import AsOption, acting_user
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
from erpai.cli.remote import remote_client
from erpai.compilations import service
from erpai.compilations.models import CompilationStatus
from erpai.compilations.provider_embedder import warm_up_encoders
from erpai.compilations.schemas import AssetRead, CompilationRead
from erpai.config import get_settings
from erpai.jobs.queue import InProcessBackend, get_backend
from erpai.jobs.recovery import recover_interrupted_work
from erpai.jobs.table import TableBackend, run_in_foreground
from erpai.jobs.table_worker import run_table_worker

WORKER_HINT = "a worker runs it (erpai serve, or erpai worker)"
build_app = typer.Typer(help="Builds (compilations): list, show, activate / roll back.", no_args_is_help=True)


def _acting_user_id(login: str | None) -> int:
    with cli_session() as session:
        return acting_user(session, login).id


def _run_inline(compilation_id: int) -> str | None:
    """Runs the compile in this process with a progress bar (the job's error is kept on the compile)."""
    from erpai.compilations.jobs import run_compilation

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        job = bar.add_task("compiling", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(job, description=stage, completed=done, total=total)

        run_compilation(compilation_id=compilation_id, progress=report)
    return None


def _wait_for(compilation_id: int, timeout: float) -> CompilationRead:
    deadline = time.monotonic() + timeout
    with console.status("compiling…"):
        while True:
            with cli_session() as session:
                compilation = service.get_compilation(session, compilation_id=compilation_id)
                if compilation.status not in service.ACTIVE_STATES or time.monotonic() > deadline:
                    return CompilationRead.model_validate(compilation)
            time.sleep(1.0)


def compile_command(
    model: str = typer.Argument(..., help="Model id or name."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait for the build and show its log."),
    kind: str = typer.Option("retrieval", help="retrieval or fine-tune."),
    as_user: str | None = AsOption,
    timeout: float = typer.Option(3600.0, help="Seconds to wait at most."),
    as_json: bool = JsonOption,
) -> None:
    """Compile a model into a new build."""
    user_id = _acting_user_id(as_user)
    inline = wait and isinstance(get_backend(), InProcessBackend)  # tests and erpai eval: no worker at all
    start = service.start_compilation if inline else service.queue_compilation
    with cli_session() as session:
        target = find_model(session, ref=model)
        compilation = start(session, model_id=target.id, user_id=user_id, kind=kind.replace("-", "_"))
    if inline:
        _run_inline(compilation.id)
    if not wait:
        emit(CompilationRead.model_validate(compilation), as_json, [])
        err_console.print(f"compilation {compilation.id} is queued; {WORKER_HINT}")
        return
    if isinstance(get_backend(), TableBackend):
        job = {"compilation_id": compilation.id}
        run_in_foreground(service.COMPILE_JOB, job, runner=lambda: _run_inline(compilation.id))
    result = _wait_for(compilation.id, timeout)
    _report(result, as_json)


def _report(result: CompilationRead, as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        console.print(result.build_log or "", highlight=False, markup=False)
        console.print(f"compilation {result.id}: {'succeeded' if result.is_successful else 'FAILED'}")
    if result.status != CompilationStatus.COMPLETED.value:
        raise fail(f"compilation {result.id} is still running; check it with 'erpai build show {result.id}'")
    if not result.is_successful:
        raise fail(result.error_message or "the compilation failed")


@build_app.command("list")
@handle_errors
def list_builds(
    model: str = typer.Argument(..., help="Model id or name."),
    as_user: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """List a model's builds, newest first."""
    from erpai.common import PageParams

    client = remote_client()
    if client is not None:
        with client:
            remote = client.find_model(model)
            items, active = client.list_builds(remote.id), remote.conversational_compilation_id
    else:
        with cli_session() as session:
            actor = acting_user(session, as_user)
            target = find_model(session, ref=model)
            items, _ = service.list_compilations(
                session, params=PageParams(limit=500, offset=0), actor=actor, model_id=target.id
            )
            active = target.conversational_compilation_id
    if as_json:
        print_json([{**i.model_dump(mode="json"), "active": i.id == active} for i in items])
        return
    columns = ["id", "kind", "status", "is_successful", "validation_score", "start_time_utc", "error_message"]
    emit(items, False, columns)
    console.print(f"active build: {active if active is not None else 'none'}")


@build_app.command("show")
@handle_errors
def show_build(compilation_id: int, as_user: str | None = AsOption, as_json: bool = JsonOption) -> None:
    """Show one build with its log (the log only for the model's trainers)."""
    client = remote_client()
    if client is not None:
        with client:
            emit(client.get_build(compilation_id), as_json, [])
        return
    with cli_session() as session:
        actor = acting_user(session, as_user)
        emit(service.read_compilation(session, compilation_id=compilation_id, actor=actor), as_json, [])


@build_app.command("activate")
@handle_errors
def activate_build(compilation_id: int, as_user: str | None = AsOption) -> None:
    """Make a successful build the one that answers (also rolls back to an earlier one)."""
    user_id = _acting_user_id(as_user)
    with cli_session() as session:
        compilation = service.activate_compilation(session, compilation_id=compilation_id, actor_id=user_id)
        typer.echo(f"build {compilation.id} now answers for model {compilation.model_id}")


@build_app.command("cancel")
@handle_errors
def cancel_build(compilation_id: int, as_user: str | None = AsOption) -> None:
    """Cancel a queued or running build (and its provider fine-tune job); the active build stays."""
    user_id = _acting_user_id(as_user)
    with cli_session() as session:
        compilation = service.cancel_compilation(session, compilation_id=compilation_id, actor_id=user_id)
        typer.echo(f"build {compilation.id} {compilation.error_message}")


def ask_command(
    model: str = typer.Argument(..., help="Model id or name."),
    question: str = typer.Argument(..., help="The question."),
    as_user: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Ask a model a question with its active build (needs the use right on it; on the ERPAI_URL server
    when it is set)."""
    client = remote_client()
    if client is not None:
        with client:
            remote = client.find_model(model)
            target_name = remote.name
            result = client.ask(remote.id, question)
    else:
        with cli_session() as session:
            actor = acting_user(session, as_user)
            target = find_model(session, ref=model)
            target_name = target.name
            result = ask(session, actor=actor, model_id=target.id, question=question, channel="cli")
    if as_json:
        print_json(result)
        return
    if result.compilation_id is None and not result.generated:
        typer.echo(
            f"model '{target_name}' has no active build yet: compile it with 'erpai compile {target_name}'"
        )
        return
    typer.echo(result.answer if result.answered else result.fallback_answer)
    how = f"written by {result.chat_model}" if result.generated else f"confidence {result.confidence:.3f}"
    cited = ", ".join(f"{s.source_type} #{s.source_id}" for s in result.sources) or "none"
    typer.echo(f"({how}, build {result.compilation_id or 'none'}, sources: {cited})", err=True)


def worker_command(
    concurrency: int = typer.Option(
        None, "--concurrency", min=1, max=64, help="Jobs run at once (default ERPAI_JOB_WORKER_CONCURRENCY)."
    ),
) -> None:
    """Run the background job worker: the SQLite jobs table or PostgreSQL's procrastinate queue."""
    settings = get_settings()
    backend = get_backend()
    if isinstance(backend, InProcessBackend):
        raise fail("ERPAI_JOB_BACKEND=inprocess runs jobs inside each process; no worker can serve it")
    failed = recover_interrupted_work()
    if failed:
        typer.echo(f"marked interrupted compilations as failed: {failed}")
    warm_up_encoders()
    typer.echo("worker started; Ctrl+C to stop")
    if isinstance(backend, TableBackend):
        run_table_worker(sweep=recover_interrupted_work, concurrency=concurrency)
        return
    from erpai.jobs.pg import run_worker  # procrastinate is imported only where used

    run_worker(settings.resolved_database_url, concurrency=concurrency)


@build_app.command("assets")
@handle_errors
def build_assets(compilation_id: int, as_user: str | None = AsOption, as_json: bool = JsonOption) -> None:
    """A build's assets: embedder, threshold, metrics, fine-tune file and job ids... (its trainers)."""
    with cli_session() as session:
        actor = acting_user(session, as_user)
        assets = service.list_assets(session, compilation_id=compilation_id, actor=actor)
        emit([AssetRead.model_validate(a) for a in assets], as_json, ["asset_key", "value"])
