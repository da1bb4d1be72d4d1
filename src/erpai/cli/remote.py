"""The CLI's remote mode: with ``ERPAI_URL`` set, read commands and ``ask`` go to that server through
:class:`erpai.client.Client` (token in ``ERPAI_TOKEN``) instead of opening the database."""

from __future__ import annotations

import os

from erpai.client import Client
from erpai.errors import InvalidInput

URL_ENV = "ERPAI_URL"
TOKEN_ENV = "ERPAI_TOKEN"


def remote_client() -> Client | None:
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return None
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise InvalidInput(f"{URL_ENV} is set, so set {TOKEN_ENV} to your API token too", field=TOKEN_ENV)
    return Client(url, token)
