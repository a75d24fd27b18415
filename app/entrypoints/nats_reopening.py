"""Opening the service's NATS connection again after the server closed it for good.

nats-py reconnects by itself after a lost link, but when the server ends the
connection with an ``-ERR`` (``Maximum Payload Violation``, an authorization
violation, an expired user JWT...) it closes the client for good and drops every
subscription. :class:`Reopening` is that client's ``closed_cb``: unless the service
is stopping, it connects the same client again (so every adapter holding it works
on) and then runs the hooks that subscribe again (``OrderService``).

It connects from within the callback: nats-py resets the client's request inbox
only once the callback has returned, so the requests made afterwards get a fresh one
on the new connection. nats-py may also give up half-way through that close (a reset
socket while it flushes what was pending) and never call back: the client then stays
closed with its old request inbox. A watch notices such a client and connects it and
closes it once more, so that the close completes and the callback connects it again.
``tests/integration/test_nats_reopening.py`` holds nats-py to all of this.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from nats.aio.client import Client as NATS

log = logging.getLogger("app.nats")
Hook = Callable[[], Awaitable[None]]
Connect = Callable[[], Coroutine[Any, Any, None]]


class Reopening:
    """Connects a closed client again and runs the ``after_reopen`` hooks, until ``stop()``."""

    def __init__(self, retry_every: float = 1.0, check_every: float = 0.5) -> None:
        self._retry_every = retry_every
        self._check_every = check_every
        self._hooks: list[Hook] = []
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._opening: asyncio.Task[None] | None = None
        self.reopened = 0  # times the connection was opened again

    def after_reopen(self, hook: Hook) -> None:
        """``hook()`` runs after each reopening (a failing one is retried until it succeeds)."""
        self._hooks.append(hook)

    def closed_callback(self, nc: NATS, connect: Connect) -> Hook:
        """The ``closed_cb`` for ``nc``, which ``connect()`` connects."""

        async def closed() -> None:
            if self._stopping:
                return
            why = nc.last_error
            log.warning("the NATS server closed the connection (%s); connecting again", why or "no reason given")
            self._opening = opening = self._start(connect(), "nats-reopen")
            await asyncio.wait([opening])  # cancelled by stop(), or connected
            if opening.cancelled() or opening.exception() is not None:
                if not opening.cancelled():
                    log.error("NATS could not be connected again: %s", opening.exception())
                return
            self.reopened += 1
            log.info("connected to NATS again")
            # Runs once nats-py has finished closing, when the callback has returned.
            self._start(self._run_hooks(), "nats-resubscribe")

        return closed

    def watch(self, nc: NATS, connect: Connect) -> None:
        """Start noticing a close that nats-py left unfinished (see the module's docstring)."""
        self._start(self._watch(nc, connect), "nats-watch")

    async def _watch(self, nc: NATS, connect: Connect) -> None:
        closed_before = False
        while not self._stopping:
            await asyncio.sleep(self._check_every)
            reopening = self._opening is not None and not self._opening.done()
            closed = nc.is_closed and not reopening
            if closed and closed_before:  # closed for a whole check: no close of nats-py's is under way
                log.warning("the NATS connection was left closed (%s); connecting again", nc.last_error)
                try:
                    await connect()
                    await nc.close()  # the close completes now, and the callback connects again
                except Exception as error:
                    log.warning("connecting NATS again failed (%s: %s)", type(error).__name__, error)
                closed = False
            closed_before = closed

    async def _run_hooks(self) -> None:
        for hook in self._hooks:
            while not self._stopping:
                try:
                    await hook()
                    break
                except Exception as error:  # the connection may have gone again: try once it is back
                    log.warning("subscribing again failed (%s: %s); retrying", type(error).__name__, error)
                    await asyncio.sleep(self._retry_every)

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def stop(self) -> None:
        """At shutdown: a close is ours from now on; stop any reopening under way."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
