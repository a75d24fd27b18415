"""A PostgreSQL primary and its synchronous streaming standby, from pgserver's binaries, on free ports.

The standby is a ``pg_basebackup -R`` of the primary, and the primary waits for it at every
commit (``synchronous_standby_names = '*'``, ``synchronous_commit = on``): what a client saw
committed is on the standby too, as docs/deployment.md asks of production. ``fsync`` is off
on both, as in the other tests: the servers are killed, never the machine.
"""

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from app.embedded.pgserver_binaries import pgserver_binary, run_as_pgserver_user
from app.embedded.pgserver_postgres import PgserverPostgres
from tests.servers import postgres_data_dir

HOST = "127.0.0.1"
DATABASE = "orders"
COMMON = {"fsync": "off", "wal_level": "replica", "max_wal_senders": "5", "hot_standby": "on"}
PRIMARY = {**COMMON, "synchronous_standby_names": "*", "synchronous_commit": "on"}


class ReplicatedPostgres:
    """``start()`` makes both servers and the database ``orders``; ``stop()`` stops whatever runs."""

    def __init__(self, base: Path) -> None:
        self.primary = PgserverPostgres(base / "primary", options=PRIMARY)
        self.standby = PgserverPostgres(base / "standby", options=COMMON)

    def url(self, *servers: PgserverPostgres, database: str = DATABASE, **params: str) -> str:
        """``postgresql://postgres@host:port,host:port/orders?params`` naming ``servers`` in that order."""
        hosts = ",".join(f"{HOST}:{server.port}" for server in servers)
        query = "&".join(f"{name}={value}" for name, value in params.items())
        return f"postgresql://postgres@{hosts}/{database}" + (f"?{query}" if query else "")

    def start(self) -> None:
        self.primary.start()
        asyncio.run(_create_database(self.url(self.primary, database="postgres")))
        self._base_backup()
        self.standby.start()
        self._wait_until_synchronous()

    def stop(self) -> None:
        self.standby.stop()
        self.primary.stop()

    def _base_backup(self) -> None:
        target = self.standby.data_dir
        target.mkdir(parents=True, mode=0o700)
        run_as = run_as_pgserver_user(target) if os.geteuid() == 0 else {}
        command = [pgserver_binary("pg_basebackup"), "-h", HOST, "-p", str(self.primary.port), "-U", "postgres",
                   "-D", str(target), "-R", "-X", "stream", "-c", "fast"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=target, **run_as)
        assert done.returncode == 0, done.stderr

    def _wait_until_synchronous(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while asyncio.run(_sync_standbys(self.url(self.primary, database="postgres"))) < 1:
            assert time.monotonic() < deadline, "the standby did not become synchronous"
            time.sleep(0.1)


async def _create_database(url: str) -> None:
    """Before there is a standby to wait for: this one commit is local."""
    conn = await asyncpg.connect(url, server_settings={"synchronous_commit": "local"})
    try:
        await conn.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await conn.close()


async def _sync_standbys(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'"
        )
    finally:
        await conn.close()
    return count


async def promote(server: PgserverPostgres) -> None:
    """Make a standby the primary (``pg_promote`` waits until it is)."""
    conn = await asyncpg.connect(f"postgresql://postgres@{HOST}:{server.port}/postgres")
    try:
        assert await conn.fetchval("SELECT pg_promote()")
    finally:
        await conn.close()


async def pause_replay(server: PgserverPostgres, paused: bool) -> None:
    """Stop (or resume) applying the WAL the standby receives: it lags while paused, yet still
    confirms the commits to the primary (it receives and flushes the WAL)."""
    conn = await asyncpg.connect(f"postgresql://postgres@{HOST}:{server.port}/postgres")
    try:
        await conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
    finally:
        await conn.close()


@contextmanager
def replicated_pair() -> Iterator[ReplicatedPostgres]:
    """A started primary and standby in a temporary folder, stopped and removed at the end."""
    with postgres_data_dir() as data_dir:
        servers = ReplicatedPostgres(data_dir.parent)
        servers.start()
        try:
            yield servers
        finally:
            servers.stop()
