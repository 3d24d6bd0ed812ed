"""Run the emulator with uvicorn: in the current event loop (tests) or blocking (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

from tender_testmode.app import TRANSPORT_EXT, create_app
from tender_testmode.config import EmulatorConfig

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class _Protocol(HttpToolsProtocol):
        """Exposes the transport in the ASGI scope so fault injection can drop a socket."""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            if sock is not None:  # headers and body are separate writes: do not let Nagle
                with contextlib.suppress(OSError):  # hold the body for the client's delayed ACK
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            scope: Any = self.scope
            scope.setdefault("extensions", {})[TRANSPORT_EXT] = self.transport

    HTTP_PROTOCOL: Any = _Protocol
except ImportError:  # pragma: no cover - httptools is part of uvicorn[standard]
    HTTP_PROTOCOL = "auto"


class _QuietAborts(logging.Filter):
    """Hide uvicorn's complaint about the half-sent response used to drop a connection."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def _uvicorn_config(config: EmulatorConfig) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_QuietAborts())
    return uvicorn.Config(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level=config.log_level,
        access_log=False,
        http=HTTP_PROTOCOL,
        lifespan="on",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
    )


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def running_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[str]:
    """Serve the emulator in the current event loop; yields ``http://host:port``.

    ``config.port == 0`` picks a free port.
    """
    config = config or EmulatorConfig(port=0)
    sock = _bind(config.host, config.port)
    port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(config))
    server.config.port = port
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("emulator server stopped during startup")
            await asyncio.sleep(0.005)
        yield f"http://{config.host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@contextlib.contextmanager
def emulator_in_thread(config: EmulatorConfig | None = None) -> Iterator[str]:
    """Serve the emulator from a background thread with its own event loop.

    For synchronous callers (the sync ``stripe`` client would block a shared loop).
    """
    config = config or EmulatorConfig(port=0)
    ready = threading.Event()
    stop: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None
    url: list[str] = []
    failure: list[BaseException] = []

    async def main() -> None:
        nonlocal stop, loop
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        try:
            async with running_emulator(config) as base:
                url.append(base)
                ready.set()
                await stop.wait()
        except BaseException as exc:
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True, name="emulator")
    thread.start()
    ready.wait(30)
    if failure or not url:
        raise RuntimeError("emulator failed to start") from (failure[0] if failure else None)
    try:
        yield url[0]
    finally:
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def serve(config: EmulatorConfig | None = None) -> None:
    """Serve the emulator until interrupted (``python -m tender_testmode``)."""
    uvicorn.Server(_uvicorn_config(config or EmulatorConfig())).run()
