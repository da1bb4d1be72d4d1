"""A small typed Python client for erpai's REST API: ``Client(base_url, token)``."""

from erpai.client.client import Client, ClientError

__all__ = ["Client", "ClientError"]
