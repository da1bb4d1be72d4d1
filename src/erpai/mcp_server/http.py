"""The MCP server over streamable HTTP at ``/mcp``, behind erpai's bearer-token authentication."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from erpai.auth import authenticate_throttled
from erpai.db import session_factory
from erpai.errors import DomainError, TooManyRequests, Unauthorized
from erpai.mcp_server.server import bearer_token, build_server


def _check_token(token: str, client: str) -> None:
    """The API's own check: a wrong token counts towards the address's failed-sign-in throttle (429)."""
    with session_factory()() as session:
        authenticate_throttled(session, token=token, client=client)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class McpEndpoint:
    """ASGI endpoint: refuses a request without a valid erpai token (401), else hands it to the MCP
    session manager. Stateless JSON responses: any API process can answer any request."""

    def __init__(self) -> None:
        self.server: MCPServer = _new_server()
        self._started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = bearer_token(headers)
        refusal: DomainError | None = Unauthorized(
            "missing bearer token: send 'Authorization: Bearer <erpai token>'"
        )
        if token is not None:
            try:
                await run_in_threadpool(_check_token, token, _client(scope))
                refusal = None
            except DomainError as exc:
                refusal = exc
        if refusal is not None:
            await _refuse(send, refusal)
            return
        await self.server.session_manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Runs the session manager; the app's lifespan enters this. A session manager runs only once, so
        an app started again (tests start one app many times) gets a fresh server."""
        if self._started:
            self.server = _new_server()
        self._started = True
        async with self.server.session_manager.run():
            yield


def _new_server() -> MCPServer:
    server = build_server()
    # No DNS-rebinding host check: every request must carry a bearer token, which a rebinding page
    # cannot send, and erpai is often served under its own host name.
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return server


async def _refuse(send: Send, refusal: DomainError) -> None:
    """401 with ``WWW-Authenticate``, or 429 with ``Retry-After`` once the address failed too often."""
    body = json.dumps({"detail": refusal.message, "field": None}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if isinstance(refusal, TooManyRequests):
        headers += [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
    else:
        headers.append((b"www-authenticate", b'Bearer realm="erpai"'))
    await send({"type": "http.response.start", "status": refusal.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
