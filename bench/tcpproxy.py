"""A TCP proxy on loopback in front of the real PostgreSQL, so a test or a benchmark can cut
the database under a running service (refuse new connections, drop open ones), restore it."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.engine import make_url


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`; `cut()` and `restore()` keep the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        # A host that is a folder is a Unix-socket server (the embedded PostgreSQL's).
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    def for_url(cls, database_url: str) -> TcpProxy:
        """A proxy in front of the server `database_url` names (TCP or Unix socket)."""
        url = make_url(database_url)
        socket_dir = url.query.get("host")
        host = url.host or (socket_dir if isinstance(socket_dir, str) else None) or "127.0.0.1"
        return cls(host, url.port or 5432)

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, database_url: str) -> str:
        """`database_url` pointed at this proxy."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        url = url.difference_update_query(["host"])  # a socket folder would win over the host
        return url.render_as_string(hide_password=False)

    async def cut(self) -> None:
        """Stop listening (new connections are refused) and drop every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            host, port = self.target
            if host.startswith("/"):
                path = f"{host}/.s.PGSQL.{port}"
                up_reader, up_writer = await asyncio.open_unix_connection(path)
            else:
                up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
