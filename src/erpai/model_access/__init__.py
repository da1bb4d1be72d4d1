"""Which models a caller may use from the outside (OpenAI-compatible API, MCP), and their public ids."""
