"""The MCP server: tools ``list_models``, ``ask_model``, ``search_knowledge``, ``add_qa``, ``ingest_invoice``,
``create_lead``, ``create_todo`` and resources
``erpai://models/{model}/qas`` and ``erpai://models/{model}/build-log``.

Every call runs as the caller: over HTTP the owner of the bearer token sent with the request; over stdio
the user the server was started for (``erpai mcp``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import MCPServerError, ResourceError, ToolError
from sqlalchemy.orm import Session

from erpai import __version__
from erpai.db import session_factory
from erpai.errors import DomainError, Unauthorized
from erpai.mcp_server import ai_tools, service
from erpai.users.models import User
from erpai.users.service import authenticate, get_user

T = TypeVar("T")
INSTRUCTIONS = (
    "erpai is a company's set of AI assistants (models), each trained on the company's own Q&As. "
    "Call list_models first; then ask_model to get an answer, search_knowledge to see the curated "
    "knowledge that matches a query, add_qa (trainers) to teach a model; ingest_invoice reads a purchase "
    "invoice file into a proposal (and with confirm=true imports it as a draft purchase invoice); "
    "create_lead proposes (and saves) a lead from a message; create_todo makes a to-do from a chat comment "
    "or a notification."
)


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") if headers is not None else None
    if not value or not value.lower().startswith("bearer "):
        return None
    return str(value.split(" ", 1)[1].strip())


class Caller:
    """Resolves who calls: the HTTP request's bearer token, else the stdio user."""

    def __init__(self, stdio_user_id: int | None) -> None:
        self.stdio_user_id = stdio_user_id

    def user(self, session: Session, ctx: Context) -> User:
        headers = ctx.headers
        if headers is not None:
            token = bearer_token(headers)
            if token is None:
                raise Unauthorized("missing bearer token: send 'Authorization: Bearer <erpai token>'")
            return authenticate(session, token=token)
        if self.stdio_user_id is None:
            raise Unauthorized("this MCP server was started without a user")
        return get_user(session, user_id=self.stdio_user_id)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_factory()() as session:
            yield session

    def run(
        self, ctx: Context, action: Callable[[Session, User], T], error: type[MCPServerError] = ToolError
    ) -> T:
        """Runs ``action`` as the caller; a domain error reaches the client as its message (a tool's
        ``is_error`` result, a resource's protocol error)."""
        with self.session() as session:
            try:
                return action(session, self.user(session, ctx))
            except DomainError as exc:
                session.rollback()
                where = f" ({exc.field})" if exc.field else ""
                raise error(f"{exc.message}{where}") from None


def build_server(*, stdio_user_id: int | None = None) -> MCPServer:
    caller = Caller(stdio_user_id)
    server = MCPServer("erpai", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

    @server.tool()
    def list_models(ctx: Context) -> list[dict[str, Any]]:
        """The erpai models you may use: id (use it as `model`), name, whether it is compiled."""
        return caller.run(ctx, lambda s, u: service.list_models(s, user=u))

    @server.tool()
    def ask_model(model: str, question: str, ctx: Context) -> dict[str, Any]:
        """Ask a model (its id from list_models, or its name). Returns the answer, whether the model knew
        it (`answered`), its confidence and the sources (Q&A ids) it is based on."""
        return caller.run(ctx, lambda s, u: service.ask_model(s, user=u, model=model, question=question))

    @server.tool()
    def search_knowledge(model: str, query: str, ctx: Context, limit: int = 5) -> list[dict[str, Any]]:
        """The curated knowledge of a model that best matches a query, best first: source_type ('qa' or
        'training_conversation'), source_id, score, question and answer."""
        return caller.run(
            ctx, lambda s, u: service.search_knowledge(s, user=u, model=model, query=query, limit=limit)
        )

    @server.tool()
    def add_qa(
        model: str, question: str, answer: str, ctx: Context, validation: bool = False
    ) -> dict[str, Any]:
        """Teach a model a Q&A (trainers of the model only). An empty answer marks a question the model
        must NOT answer. validation=true adds it for evaluation instead of training."""
        return caller.run(
            ctx,
            lambda s, u: service.add_qa(
                s, user=u, model=model, question=question, answer=answer, validation=validation
            ),
        )

    @server.tool()
    def ingest_invoice(
        filename: str,
        content_base64: str,
        ctx: Context,
        confirm: bool = False,
        supplier_id: int | None = None,
    ) -> dict[str, Any]:
        """Read one purchase invoice (PDF, PNG, JPEG, TIFF, WebP or UBL/CII XML, base64-encoded, at most
        20 MiB) into a stored proposal: fields, flags for values not found in the document, validations.
        confirm=true also imports it as a draft purchase invoice (supplier_id: that party, else the matched
        one, else a new one); a failed validation is an error naming the field and the proposal is kept."""
        return caller.run(
            ctx,
            lambda s, u: service.ingest_invoice(
                s,
                user=u,
                filename=filename,
                content_base64=content_base64,
                confirm=confirm,
                supplier_id=supplier_id,
            ),
        )

    @server.tool()
    def create_lead(
        text: str, ctx: Context, save: bool = False, allow_duplicate: bool = False
    ) -> dict[str, Any]:
        """Propose a lead from a message (names, e-mail, phone, role, company, notes): `flags` lists values
        not found in the message, `duplicates` the leads / parties with the same e-mail or company.
        save=true saves it as proposed (refused for a possible duplicate unless allow_duplicate=true)."""
        return caller.run(
            ctx,
            lambda s, u: ai_tools.create_lead(
                s, user=u, text=text, save=save, allow_duplicate=allow_duplicate
            ),
        )

    @server.tool()
    def create_todo(
        ctx: Context,
        comment_id: int | None = None,
        notification_id: int | None = None,
        title: str | None = None,
        linked_record: str | None = None,
    ) -> dict[str, Any]:
        """Create a to-do (owner and assignee: you) from a chat comment of a group you write in, or from one
        of your notifications. Without `title` the AI writes one in your working language. The comment's
        group gets the line "Task '...' was assigned to the group" and its members a notification.
        linked_record: "kind:id" of a business record, e.g. "leads:12"."""
        return caller.run(
            ctx,
            lambda s, u: ai_tools.create_todo(
                s,
                user=u,
                comment_id=comment_id,
                notification_id=notification_id,
                title=title,
                linked_record=linked_record,
            ),
        )

    @server.resource("erpai://models/{model}/qas", mime_type="application/jsonl")
    def model_qas(model: str, ctx: Context) -> str:
        """A model's Q&As as JSONL (trainers only)."""
        return caller.run(ctx, lambda s, u: service.model_qas(s, user=u, model=model), ResourceError)

    @server.resource("erpai://models/{model}/build-log", mime_type="text/plain")
    def build_log(model: str, ctx: Context) -> str:
        """The build log of a model's active (else newest) build (trainers only)."""
        return caller.run(ctx, lambda s, u: service.build_log(s, user=u, model=model), ResourceError)

    return server
