"""Run PostgreSQL from the ``pgserver`` wheel on 127.0.0.1:PORT (dev server, tests).

As root the server runs as system user ``pgserver`` (see ``pgserver_binaries``).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from app.embedded.free_port import free_tcp_port
from app.embedded.pgserver_binaries import pgserver_binary, run_as_pgserver_user

logger = logging.getLogger(__name__)

_HOST = "127.0.0.1"
_TIMEOUT = 30.0  # startup and fast-shutdown limit, seconds


def _alive(proc: psutil.Process) -> bool:
    """Running and not a zombie (PID 1 in containers may reap orphans late)."""
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class PgserverPostgres:
    """A postgres child process on a fixed TCP port; survives stop/start and crashes.

    ``options`` become extra ``-c name=value`` settings (e.g. fsync=off for tests). ``netns``:
    run the server in that network namespace (``ip netns exec``, as root; the partition tests),
    listening on ``host``, an address of that namespace, and ``port``, which must then be given.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        options: dict[str, str] | None = None,
        host: str = _HOST,
        netns: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.netns = netns
        self.port = port if port is not None else free_tcp_port(host)
        self.options = {"max_connections": "200", **(options or {})}
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._socket_dir: Path | None = None
        self._run_as: dict[str, Any] = {}

    @property
    def url(self) -> str:
        """Connection URL, e.g. ``postgresql://postgres@127.0.0.1:12345/postgres``."""
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    @property
    def is_running(self) -> bool:
        """True while the postmaster child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """initdb if needed, stop a stale postmaster, start and wait until ready."""
        if self.is_running:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._run_as = run_as_pgserver_user(self.data_dir) if os.geteuid() == 0 else {}
        self._stop_stale_postmaster()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "--auth=trust", "-U", "postgres", "--encoding=utf8", "--no-locale")
        self._socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-"))  # short: sun_path limit
        if self._run_as:
            os.chown(self._socket_dir, self._run_as["user"], self._run_as["group"])
        cmd = [pgserver_binary("postgres"), "-D", str(self.data_dir), "-h", self.host, "-p", str(self.port),
               "-k", str(self._socket_dir)]  # fmt: skip
        cmd += [arg for k, v in self.options.items() for arg in ("-c", f"{k}={v}")]
        run_as = self._run_as
        if self.netns is not None and run_as:  # entering a namespace needs root: drop to the user after it
            user = ["setpriv", f"--reuid={run_as['user']}", f"--regid={run_as['group']}", "--clear-groups"]
            cmd = ["ip", "netns", "exec", self.netns, *user, *cmd]
            run_as = {}
        elif self.netns is not None:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        logger.info("starting postgres on %s (log: %s)", self.url, self.log_path)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, cwd=self.data_dir,
                                          start_new_session=True, **run_as)  # fmt: skip
        self._wait_ready(self._proc)

    def stop(self) -> None:
        """Fast shutdown (SIGINT), SIGKILL after 30 s. Safe to call repeatedly."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=_TIMEOUT)
            except subprocess.TimeoutExpired:
                logger.warning("postgres did not stop in %ss; killing it", _TIMEOUT)
                self.kill()
        self._cleanup()

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends (simulated crash); start() recovers."""
        if self._proc is not None and self._proc.poll() is None:
            children = psutil.Process(self._proc.pid).children(recursive=True)
            os.killpg(self._proc.pid, signal.SIGKILL)  # own session: pgid == postmaster pid
            self._proc.wait()
            # Backends must be gone, or a restart finds the old shared memory still in use.
            deadline = time.monotonic() + 5
            while any(_alive(c) for c in children) and time.monotonic() < deadline:
                time.sleep(0.01)
        self._cleanup()

    def _cleanup(self) -> None:
        self._proc = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None

    def _pid_file(self) -> list[str]:
        try:
            return (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return []

    def _stop_stale_postmaster(self) -> None:
        try:
            stale = psutil.Process(int(next(iter(self._pid_file()), "")))
            if stale.name() != "postgres" or not _alive(stale):
                return
        except (ValueError, psutil.Error):
            return
        logger.warning("stopping stale postmaster %s holding %s", stale.pid, self.data_dir)
        self._run("pg_ctl", "stop", "-m", "fast", "-w")

    def _run(self, exe: str, *args: str) -> None:
        cmd = [pgserver_binary(exe), "-D", str(self.data_dir), *args]
        with self.log_path.open("ab") as log:
            rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir,
                                 **self._run_as)  # fmt: skip
        if rc != 0:
            raise RuntimeError(f"{exe} failed ({rc}):\n{self._log_tail()}")

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + _TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._cleanup()
                raise RuntimeError(f"postgres exited during startup:\n{self._log_tail()}")
            lines = self._pid_file()  # line 8 becomes "ready" once accepting connections
            if len(lines) >= 8 and lines[0] == str(proc.pid) and lines[7].strip() == "ready":
                logger.info("postgres ready on %s", self.url)
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"postgres not ready after {_TIMEOUT}s:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def __enter__(self) -> PgserverPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
