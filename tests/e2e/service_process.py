"""``orders serve`` as a real child process, for restart and crash tests."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from app.embedded.free_port import free_tcp_port
from app.entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


class ServiceProcess:
    """Runs ``python -m app.entrypoints.cli serve [args]`` with settings passed as env vars."""

    def __init__(self, settings: Settings, log_path: Path, args: Sequence[str] = ()) -> None:
        self.port = free_tcp_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **settings_env(settings), "HTTP_PORT": str(self.port), "HTTP_HOST": "127.0.0.1"}
        self.log_path = log_path
        self.args = list(args)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.entrypoints.cli", "serve", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self, timeout: float = 40) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    async def get(self, path: str) -> tuple[int, dict | list | None]:
        async with aiohttp.ClientSession() as http, http.get(self.base_url + path) as response:
            body = await response.json(content_type=None) if response.content_length != 0 else None
            return response.status, body

    async def wait_ready(self, timeout: float = 30) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        last: object = None
        while asyncio.get_running_loop().time() < deadline:
            assert self.process and self.process.poll() is None, self.log_path.read_text()[-3000:]
            try:
                status, body = await self.get("/readyz")
                if status == 200 and isinstance(body, dict):
                    return body
                last = body
            except aiohttp.ClientError as error:
                last = error
            await asyncio.sleep(0.1)
        raise AssertionError(f"not ready in {timeout}s: {last}\n{self.log_path.read_text()[-3000:]}")


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment variables that give these settings (the API tokens spelled out)."""
    values = settings.model_dump()
    if settings.api_tokens is not None:
        values["api_tokens"] = settings.api_tokens.get_secret_value()
    return {name.upper(): str(value) for name, value in values.items() if value is not None}
