"""Botmoon from Python, a terminal and AI chats: the typed client (`Botmoon`, `AsyncBotmoon`), the `botmoon`
CLI (`botmoon_client.cli`) and the MCP server (`botmoon_client.mcp`)."""

from botmoon_client.client import AsyncBotmoon, Botmoon
from botmoon_client.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BotmoonError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

__all__ = ["APIConnectionError", "APIStatusError", "APITimeoutError", "AsyncBotmoon", "AuthenticationError",
           "Botmoon", "BotmoonError", "ConflictError", "InvalidRequestError", "NotFoundError", "RateLimitError",
           "ServerError"]
