"""``erpai demo``."""

from __future__ import annotations

import typer

from erpai.cli.output import JsonOption, cli_session, console, print_json


def demo_command(
    compile_models: bool = typer.Option(
        True, "--compile/--no-compile", help="Compile models that have no build."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Load the demo company (once) and compile its models; prints an admin token."""
    from erpai.compilations.jobs import run_compilation
    from erpai.compilations.service import start_compilation
    from erpai.config import get_settings
    from erpai.demo import fresh_admin_token, load_demo

    with cli_session() as session:
        created, models = load_demo(session)
        admin_id, token = fresh_admin_token(session)
        to_compile = [m for m in models if m.conversational_compilation_id is None] if compile_models else []
        pending = [start_compilation(session, model_id=m.id, user_id=admin_id).id for m in to_compile]
    for compilation_id in pending:
        with console.status(f"compiling build {compilation_id}…"):
            run_compilation(compilation_id=compilation_id)
    settings = get_settings()
    url = f"http://{settings.host}:{settings.port}"
    summary = {
        "created": created,
        "models": [m.name for m in models],
        "compiled": len(pending),
        "url": url,
        "sign_in_url": f"{url}/sign-in",
        "admin_token": token,
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"demo company {'loaded' if created else 'already present'}; {len(pending)} model(s) compiled"
    )
    # Plain echo: rich would wrap the long lines that people copy and paste.
    typer.echo(f"Web UI: {url}/sign-in   (sign in with the token below)")
    typer.echo(f"API:    {url}/api/v1   (docs at {url}/docs)")
    typer.echo(f"Token:  {token}")
    typer.echo(f'Try:    curl -H "Authorization: Bearer {token}" {url}/api/v1/models')

