"""An MCP server (official ``mcp`` SDK): erpai models as tools and resources for AI clients."""
