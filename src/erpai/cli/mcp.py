"""``erpai mcp``: the MCP server over stdio, for desktop AI clients that start it as a subprocess."""

from __future__ import annotations

import os

from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import cli_session, handle_errors
from erpai.mcp_server.server import build_server
from erpai.users.service import authenticate

TOKEN_ENV = "ERPAI_TOKEN"


@handle_errors
def mcp_command(as_login: str | None = AsOption) -> None:
    """Serve MCP over stdio for AI clients (HTTP: /mcp of 'erpai serve').

    Tools run as the owner of $ERPAI_TOKEN when it is set, else as --as / ERPAI_USER / the first admin.
    """
    token = os.environ.get(TOKEN_ENV)
    with cli_session() as session:
        user = authenticate(session, token=token) if token else acting_user(session, as_login)
        user_id = user.id
    build_server(stdio_user_id=user_id).run("stdio")
