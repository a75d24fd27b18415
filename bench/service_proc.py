"""The real service, `orders serve`, in its own process (so on its own uvloop)."""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import aiohttp

from app.embedded.free_port import free_tcp_port
from bench.cpus import pin_to

ORDERS = str(Path(sys.executable).with_name("orders"))
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


class ServiceProcess:
    """Start, wait for readiness, inspect (RSS, log) and stop one `orders serve`."""

    def __init__(self, env: dict[str, str], log_path: Path, **settings: object) -> None:
        self.port = free_tcp_port()
        self.env = {
            **os.environ,
            **env,
            "HTTP_PORT": str(self.port),
            **{k.upper(): str(v) for k, v in settings.items()},
        }
        self.log_path = log_path
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.started_wall = 0.0

    def start(self, cpus: frozenset[int] | None = None) -> None:
        """Start `orders serve`, on ``cpus`` if given."""
        with self.log_path.open("ab") as log:
            self.started_wall = time.time()
            self.started_at = time.perf_counter()
            self.proc = subprocess.Popen(
                [ORDERS, "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=pin_to(cpus),
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def wait_ready(self, timeout: float = 300.0, every: float = 0.01) -> float:
        """perf_counter() when the first successful /readyz was *sent* (readiness began before)."""
        deadline = time.perf_counter() + timeout
        proc = self.proc
        assert proc is not None, "start() the service first"
        async with aiohttp.ClientSession() as http:
            while time.perf_counter() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"the service exited ({proc.returncode}):\n{self.log_tail()}")
                sent = time.perf_counter()
                try:
                    async with http.get(self.base + "/readyz") as response:
                        if response.status == 200:
                            return sent
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(every)
        raise RuntimeError(f"the service was not ready in {timeout}s:\n{self.log_tail()}")

    async def histogram(self, name: str) -> tuple[float, float] | None:
        """(count, sum) of a Prometheus histogram on /metrics, if the service exposes it."""
        try:
            async with aiohttp.ClientSession() as http, http.get(self.base + "/metrics") as response:
                text = await response.text() if response.status == 200 else ""
        except aiohttp.ClientError:
            return None
        found = dict(re.findall(rf"^{name}_(count|sum)\s+(\S+)$", text, re.MULTILINE))
        return (float(found["count"]), float(found["sum"])) if len(found) == 2 else None

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def warmed_orders(self) -> int:
        found = re.findall(r"cache warmed with (\d+) orders", self.log_text())
        if not found:
            raise RuntimeError(f"no 'cache warmed' line in the log:\n{self.log_tail()}")
        return int(found[-1])

    def log_seconds(self, message: str) -> float:
        """Seconds from process start to the last log line containing ``message`` (1 ms steps)."""
        for line in reversed(self.log_text().splitlines()):
            stamp = _STAMP.match(line)
            if stamp and message in line:
                at = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                return at - self.started_wall
        raise RuntimeError(f"no log line with {message!r}")

    def stop(self, timeout: float = 40.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
