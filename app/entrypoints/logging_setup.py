"""Logging for every ``orders`` command: readable text (the default) or JSON lines (``LOG_FORMAT=json``).

A JSON line is one object: ``time``, ``level``, ``logger``, ``message``, and the
context a record carries where it applies: ``order_uid``, ``stream_sequence``,
``batch_id``, ``reason`` (given as ``extra=`` by the code that logs; the batch
id comes from :data:`batch_id`, set for the batch being ingested). Text lines
show the same context after the message, as ``key=value``.

No secret reaches a log line: every line goes through
:class:`~app.entrypoints.log_redaction.RedactingFormatter`.

Expected trouble is one WARNING line, not an ERROR with a traceback: aiohttp
logs a client's malformed request (a too-long request line, a bad header) as an
error with its traceback, quoting the line it could not parse (which may hold
a token); :class:`ClientErrorsAsWarnings` makes it a warning naming the problem,
without the quoted bytes. When PostgreSQL drops a connection in the middle of a
COPY, asyncpg abandons the operation's future, which asyncio reports as "Future
exception was never retrieved" with a traceback; :func:`expected_loop_errors`
makes that one warning too (the repository has already handled the failure).
"""

import asyncio
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import asyncpg
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import RequestPayloadError
from pythonjsonlogger.orjson import OrjsonFormatter

from app.entrypoints.log_redaction import RedactingFormatter, Redactor
from app.entrypoints.terminal_text import printable

_QUOTED = re.compile(r"""\s*(?:bytearray\()?\bb['"]""")  # where aiohttp starts quoting what it could not parse
CONTEXT_FIELDS = ("order_uid", "stream_sequence", "batch_id", "reason")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
batch_id: ContextVar[str | None] = ContextVar("batch_id", default=None)
"""The id of the batch the current task ingests (its first message's stream sequence)."""


class BatchContext(logging.Filter):
    """Adds ``batch_id`` to records logged while a batch is being ingested."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = batch_id.get()
        if current is not None and not hasattr(record, "batch_id"):
            record.batch_id = current
        return True


class ClientErrorsAsWarnings(logging.Filter):
    """A request aiohttp could not parse is the client's error, not ours.

    One line naming the problem, at WARNING at most, without the bytes aiohttp quotes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = _client_error(record.exc_info[1] if record.exc_info else None)
        if error is not None:
            said = record.getMessage()
            record.msg, record.args = "%s: %s: %s", (said, type(error).__name__, client_error_problem(error))
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def _client_error(error: BaseException | None) -> HttpProcessingError | None:
    """The parse error in ``error``: itself, or the cause of a body that could not be read (say, broken
    gzip), which aiohttp raises again as it drains the rest of the body after the answer."""
    if isinstance(error, RequestPayloadError):
        error = error.__cause__
    return error if isinstance(error, HttpProcessingError) else None


def client_error_problem(error: HttpProcessingError) -> str:
    """What aiohttp says is wrong with a request, without the part of the request it quotes."""
    said = _QUOTED.split(str(error.message), maxsplit=1)[0]
    return " ".join(said.split()).rstrip(":")[:200] or "malformed request"


class TextFormatter(logging.Formatter):
    """The classic line, then the record's context as ``key=value``.

    A record is one line (then its traceback, if any): control characters in the message and the
    context (a client's path, a message's reason) are escaped, so none can forge a line or drive
    the terminal that shows the log."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = [
            f"{name}={printable(str(getattr(record, name)))}" for name in CONTEXT_FIELDS if hasattr(record, name)
        ]
        return f"{line} [{' '.join(context)}]" if context else line


UNRETRIEVED = ("Future exception was never retrieved", "Task exception was never retrieved")


@contextmanager
def expected_loop_errors(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """While inside: a lost PostgreSQL connection's unretrieved failure is one WARNING line; everything
    else goes to the loop's handler as before."""
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, asyncpg.PostgresConnectionError) and context.get("message", "").startswith(UNRETRIEVED):
            logging.getLogger("app.postgres").warning("PostgreSQL connection lost during an operation: %s", error)
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)


def json_formatter() -> logging.Formatter:
    return OrjsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",  # RFC 3339 in UTC, to the microsecond
    )


class _StderrHandler(logging.StreamHandler):
    """The handler ``configure`` adds (and replaces when called again)."""


def configure(level: str = "INFO", log_format: str = "text", secrets: Iterable[str] = ()) -> None:
    """One handler on stderr for the whole process, replacing the one configured before.

    ``log_format``: ``text`` or ``json``; ``secrets``: values masked wherever they appear."""
    handler = _StderrHandler(sys.stderr)
    lines = json_formatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)
    handler.setFormatter(RedactingFormatter(lines, Redactor(secrets)))
    handler.addFilter(BatchContext())
    # On the handler, not on ``aiohttp.server``: under gunicorn, aiohttp logs through ``gunicorn.error``.
    handler.addFilter(ClientErrorsAsWarnings())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
