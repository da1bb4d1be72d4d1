"""An OpenAI-compatible API at ``/v1``: the official SDK, Open WebUI, LibreChat... talk to erpai models."""
