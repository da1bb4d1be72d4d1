"""Running the CLI in tests with Typer's CliRunner: the command must succeed, print JSON, or fail."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from erpai.cli.main import app

runner = CliRunner()


def cli_ok(*args: str) -> str:
    """The output of a command that must exit 0."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def cli_json(*args: str) -> Any:
    """The parsed ``--json`` output of a command that must exit 0."""
    return json.loads(cli_ok(*args, "--json"))


def cli_fails(*args: str, answer: str | None = None) -> str:
    """The output of a command that must exit non-zero (``answer``: what is typed at its prompt)."""
    result = runner.invoke(app, list(args), input=answer)
    assert result.exit_code != 0, result.output
    return result.output
