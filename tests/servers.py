"""Local servers for the network edges the tests fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serve(app: web.Application, port: int = 0, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve `app` on `host` (127.0.0.1) at `port` (a free one by default); yields its base URL."""
    # A handler left hanging on purpose (a feed that never answers) must not hold up clean-up.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        yield f"http://{host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def free_port() -> int:
    """A port nothing listens on now (for a server that comes up later)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
