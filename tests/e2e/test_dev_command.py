"""``orders dev`` (``make run``) end to end: it makes an API token and prints a curl that works."""

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.embedded.free_port import free_tcp_port
from tests.servers import isolated_settings

BANNER_TIMEOUT = 60


def _banner(process: subprocess.Popen[str], log: list[str]) -> list[str]:
    """The lines ``orders dev`` prints once ready, up to the published orders' line."""
    assert process.stderr is not None
    deadline = time.monotonic() + BANNER_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise AssertionError("orders dev exited:\n" + "".join(log[-40:]))
        log.append(line)
        if "Published the sample" in line:
            start = max(i for i, seen in enumerate(log) if "Order service is up" in seen)
            return [seen.strip() for seen in log[start:]]
    raise AssertionError("no banner in time:\n" + "".join(log[-40:]))


def test_dev_prints_a_token_and_a_curl_that_submits_an_order(nats_url, database_url, tmp_path: Path) -> None:
    settings = isolated_settings(nats_url, database_url)
    env = {
        **os.environ,
        **{name.upper(): str(value) for name, value in settings.model_dump(exclude={"api_tokens"}).items() if value},
        "HTTP_PORT": str(free_tcp_port()),
    }
    env.pop("API_TOKENS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "app.entrypoints.cli", "dev"],
        cwd=tmp_path,  # its .data/ (the order to submit) goes here
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    log: list[str] = []
    try:
        banner = _banner(process, log)
        token = next(line.split(":", 1)[1].strip() for line in banner if line.startswith("API token:"))
        command = banner[banner.index("Submit an order:") + 1]
        assert len(token) >= 24 and token in command

        answer = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30, check=True)
        status_line = answer.stdout.splitlines()[0]
        assert status_line.split()[1] == "201", answer.stdout  # stored within ?wait=5

        parts = shlex.split(command)
        at = parts.index(f"Authorization: Bearer {token}")
        without = subprocess.run(
            parts[: at - 1] + parts[at + 1 :],  # the same command without -H 'Authorization: …'
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert without.stdout.splitlines()[0].split()[1] == "401"
        assert token not in "".join(log).replace(f"API token:           {token}", "").replace(command, "")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=40)
        finally:
            if process.poll() is None:
                process.kill()
