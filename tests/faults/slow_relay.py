"""A TCP relay that makes a link slow: every chunk is delayed, and now and then the link stalls.

This kernel has no ``netem`` qdisc, so latency and loss are made in user space. Dropping bytes
inside a TCP stream would corrupt it rather than imitate loss: on a real link a lost segment
shows to both ends as a stall until TCP resends it, so that is what the relay does. Each chunk,
in each direction, is delivered ``latency`` (plus up to ``jitter``) after it arrived, in order;
and with probability ``stall_chance`` per chunk every connection of the relay stops delivering
for ``stall`` seconds, as a burst of loss would make it.
"""

import asyncio
import contextlib
import random
import time

from app.embedded.free_port import free_tcp_port


class SlowRelay:
    """Listens on 127.0.0.1:``port`` and relays each connection to ``target_host``:``target_port``."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        latency: float = 0.05,
        jitter: float = 0.05,
        stall_chance: float = 0.01,
        stall: float = 2.0,
        seed: int = 0,
    ) -> None:
        self.port = free_tcp_port()
        self._target = (target_host, target_port)
        self._latency, self._jitter = latency, jitter
        self._stall_chance, self._stall = stall_chance, stall
        self._random = random.Random(seed)
        self._stalled_until = 0.0
        self.stalls = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.close()
            return
        pipes = [
            asyncio.create_task(self._pipe(client_reader, server_writer)),
            asyncio.create_task(self._pipe(server_reader, client_writer)),
        ]
        self._pipes.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
        self._pipes.difference_update(pipes)
        for writer in (client_writer, server_writer):
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read chunks as they come; deliver each after its delay, in order, and not during a stall."""
        chunks: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        delivering = asyncio.create_task(self._deliver(chunks, writer))
        try:
            while data := await reader.read(65536):
                if self._random.random() < self._stall_chance:
                    self._stalled_until = max(self._stalled_until, time.monotonic() + self._stall)
                    self.stalls += 1
                delay = self._latency + self._random.random() * self._jitter
                await chunks.put((time.monotonic() + delay, data))
            await chunks.put((0.0, b""))  # the end: close after what is queued
            await delivering
        finally:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivering

    async def _deliver(self, chunks: "asyncio.Queue[tuple[float, bytes]]", writer: asyncio.StreamWriter) -> None:
        while True:
            due, data = await chunks.get()
            if not data:
                return
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await asyncio.sleep(max(0.0, self._stalled_until - time.monotonic()))  # a stall begun meanwhile
            writer.write(data)
            await writer.drain()
