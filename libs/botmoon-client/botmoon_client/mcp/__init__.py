"""The Botmoon MCP server: tools, resources and a prompt for AI chats, each tool a thin call through the client.

`build_server(clients)` makes the server; `botmoon mcp` runs it over stdio, and the gateway mounts it at /mcp
(streamable HTTP)."""

from botmoon_client.mcp.server import build_server, run_stdio

__all__ = ["build_server", "run_stdio"]
