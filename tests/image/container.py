"""Containers of the image under test: one-shot commands, and a detached one named for this run
and removed after it."""

import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.image.engine import Engine

READY_STREAK = 20


def env_options(environment: dict[str, str]) -> list[str]:
    return [option for name, value in environment.items() for option in ("--env", f"{name}={value}")]


def run_once(
    engine: Engine, image: str, environment: dict[str, str], *command: str, mounts: dict[Path, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` in a new container on a read-only root, removed when it exits; files mounted read-only."""
    volumes = [option for host, inside in (mounts or {}).items() for option in ("--volume", f"{host}:{inside}:ro")]
    return engine(
        "run", "--rm", *engine.run_options, *engine.read_only, *volumes, *env_options(environment), image, *command,
        check=False,
    )  # fmt: skip


class Container:
    """The image's own command (``orders serve``), detached, on a read-only root with no tmpfs."""

    def __init__(self, engine: Engine, image: str, environment: dict[str, str]) -> None:
        self.engine = engine
        self.image = image
        self.environment = environment
        self.name = f"orders-image-test-{uuid.uuid4().hex[:10]}"

    def start(self) -> None:
        options = [*self.engine.run_options, *self.engine.read_only, *env_options(self.environment)]
        self.engine("run", "--detach", "--name", self.name, *options, self.image)

    def inspect(self, template: str) -> str:
        return self.engine("inspect", "--format", template, self.name).stdout.strip()

    def logs(self) -> str:
        found = self.engine("logs", self.name, check=False)
        return found.stdout + found.stderr

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return self.engine("exec", self.name, *command, check=False)

    def stop(self, grace_seconds: int) -> int:
        """SIGTERM (the image's STOPSIGNAL), SIGKILL after ``grace_seconds``; the exit code."""
        self.engine("stop", "--time", str(grace_seconds), self.name, timeout=grace_seconds + 60)
        return int(self.inspect("{{.State.ExitCode}}"))

    def remove(self) -> None:
        self.engine("rm", "--force", self.name, check=False)

    def wait_ready(self, base_url: str, timeout: float = 120) -> None:
        """Until /readyz answers 200 twenty times in a row, each on a new connection: with two workers
        each answers for itself, and the kernel gives each connection to one of them."""
        deadline, streak = time.monotonic() + timeout, 0
        while streak < READY_STREAK:
            assert time.monotonic() < deadline, f"not ready in {timeout}s:\n{self.logs()[-3000:]}"
            try:
                with urllib.request.urlopen(base_url + "/readyz", timeout=5) as response:
                    streak = streak + 1 if response.status == 200 else 0
            except (urllib.error.URLError, ConnectionError):
                streak = 0
                assert self.inspect("{{.State.Running}}") == "true", f"it stopped:\n{self.logs()[-3000:]}"
                time.sleep(0.5)
