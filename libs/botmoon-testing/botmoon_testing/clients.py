"""Botmoon's own surfaces as a user reaches them, for tests and benchmarks: the `botmoon` CLI as a subprocess,
and MCP sessions through the SDK's client, over stdio (a spawned `botmoon mcp`) or streamable HTTP (/mcp)."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

BOTMOON = shutil.which("botmoon", path=str(Path(sys.executable).parent)) or "botmoon"


def botmoon(url: str, *args: str, stdin: str | None = None, api_key: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs `botmoon ARGS` against the gateway at url (BOTMOON_URL), with the key if given."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOTMOON_URL", "BOTMOON_API_KEY")}
    env.update({"BOTMOON_URL": url, "COLUMNS": "200"})
    if api_key:
        env["BOTMOON_API_KEY"] = api_key
    return subprocess.run([BOTMOON, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def as_json(done: subprocess.CompletedProcess) -> dict:
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


@contextlib.asynccontextmanager
async def http_session(url: str, headers: dict[str, str] | None = None):
    """An initialised MCP session with the gateway's /mcp."""
    async with httpx2.AsyncClient(headers=headers or {}, timeout=httpx2.Timeout(300.0)) as http, \
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write), \
            ClientSession(read, write) as session:
        await session.initialize()
        yield session


@contextlib.asynccontextmanager
async def stdio_session(url: str, api_key: str | None = None):
    """An initialised MCP session with a spawned `botmoon mcp --url url`."""
    env = {k: v for k, v in os.environ.items() if k != "BOTMOON_API_KEY"}
    if api_key:
        env["BOTMOON_API_KEY"] = api_key
    params = StdioServerParameters(command=BOTMOON, args=["mcp", "--url", url], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments):
    """(the tool's result, its text content joined)."""
    result = await session.call_tool(tool, arguments)
    return result, " ".join(getattr(c, "text", "") for c in result.content)
