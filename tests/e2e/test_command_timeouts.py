"""A command that cannot reach its server says so in one line and exits 1, within its deadline.

Two kinds of unreachable: nothing listens on the port (refused at once), and a
listener that accepts the connection and never says a word (the kernel completes
the handshake for a socket that listens but never accepts, as a hung server or a
black-holing middlebox would). Before, ``orders dlq list`` waited over a minute,
and ``orders migrate`` printed a 31-line traceback. A setting that does not parse is
expected trouble too: one line each, not pydantic's traceback.
"""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from app.embedded.free_port import free_tcp_port
from tests.e2e.service_process import ROOT

DEADLINE = "2"  # COMMAND_CONNECT_TIMEOUT, seconds
SECRET = "pa55word-in-the-url"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def run(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    """The exit code and the lines the command wrote (stdout and stderr); it must end within 30 s."""
    keep = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "app.entrypoints.cli", *args],
        cwd=ROOT,
        env={**keep, "COMMAND_CONNECT_TIMEOUT": DEADLINE, **env},
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


COMMANDS = {
    "dlq list": ("NATS_URL", "nats://orders:{secret}@127.0.0.1:{port}", ("dlq", "list"), "NATS"),
    "dlq show": ("NATS_URL", "nats://127.0.0.1:{port}", ("dlq", "show", "1"), "NATS"),
    "produce": ("NATS_URL", "nats://orders:{secret}@127.0.0.1:{port}", ("produce", "--count", "1"), "NATS"),
    "migrate": ("DATABASE_URL", "postgresql://orders:{secret}@127.0.0.1:{port}/orders", ("migrate",), "PostgreSQL"),
}


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize("listener", ["nothing listening", "a silent listener"])
def test_an_unreachable_server_is_one_line_and_exit_1(name: str, listener: str, silent_port: int) -> None:
    variable, url, args, server = COMMANDS[name]
    port = free_tcp_port() if listener == "nothing listening" else silent_port

    code, lines = run({variable: url.format(secret=SECRET, port=port)}, *args)

    assert code == 1, lines
    assert len(lines) == 1, lines
    [line] = lines
    assert line.startswith(f"orders {args[0]}: {server} at 127.0.0.1:{port} "), line
    if listener == "a silent listener" and server == "NATS":
        assert f"did not answer within {DEADLINE} s" in line
    assert SECRET not in line and "Traceback" not in line


def test_settings_that_do_not_parse_are_one_line_each_and_exit_2() -> None:
    code, lines = run({"HTTP_PORT": "abc", "LOG_FORMAT": "xml", "NATS_URL": "nats://127.0.0.1:1"}, "dlq", "list")

    assert code == 2
    assert lines == [
        "orders dlq: HTTP_PORT: Input should be a valid integer, unable to parse string as an integer",
        "orders dlq: LOG_FORMAT: String should match pattern '^(text|json)$'",
    ]
