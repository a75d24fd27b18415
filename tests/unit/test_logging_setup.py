"""Logging: JSON lines with the context, and expected trouble turned into one WARNING line."""

import asyncio
import json
import logging

import asyncpg
import pytest
from aiohttp.http_exceptions import LineTooLong

from app.entrypoints import logging_setup
from app.entrypoints.log_redaction import RedactingFormatter


def _record(level: int, message: str, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("x", level, __file__, 1, message, ("arg",) if "%s" in message else (), None)
    if exc is not None:
        record.exc_info = (type(exc), exc, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_time_level_logger_message_and_the_context() -> None:
    token = logging_setup.batch_id.set("1200")
    try:
        record = _record(logging.WARNING, "dead-lettered %s", order_uid="u1", stream_sequence=7, reason="bad")
        logging_setup.BatchContext().filter(record)
    finally:
        logging_setup.batch_id.reset(token)
    line = json.loads(logging_setup.json_formatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "x" and line["message"] == "dead-lettered arg"
    assert (line["order_uid"], line["stream_sequence"], line["batch_id"], line["reason"]) == ("u1", 7, "1200", "bad")
    assert line["time"].endswith("+00:00")
    text = logging_setup.TextFormatter(logging_setup.TEXT_FORMAT).format(record)
    assert text.endswith("dead-lettered arg [order_uid=u1 stream_sequence=7 batch_id=1200 reason=bad]")


def test_a_request_aiohttp_cannot_parse_is_a_warning_without_traceback() -> None:
    record = _record(logging.ERROR, "Error handling request from %s", LineTooLong(b"x" * 300, "8190"))
    logging_setup.ClientErrorsAsWarnings().filter(record)
    assert record.levelno == logging.WARNING and record.levelname == "WARNING"
    assert record.exc_info is None
    assert record.getMessage().startswith("Error handling request from arg: LineTooLong: Got more than 8190 bytes")
    ours = _record(logging.ERROR, "a bug %s", ValueError("x"))
    logging_setup.ClientErrorsAsWarnings().filter(ours)
    assert ours.levelno == logging.ERROR and ours.exc_info is not None


async def test_a_lost_postgres_operation_left_unretrieved_is_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    seen: list[dict[str, object]] = []
    loop.set_exception_handler(lambda loop, context: seen.append(context))
    try:
        with logging_setup.expected_loop_errors(loop):
            lost = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
            loop.call_exception_handler({"message": "Future exception was never retrieved", "exception": lost})
            other = {"message": "Future exception was never retrieved", "exception": ValueError("a bug")}
            loop.call_exception_handler(other)
        assert seen == [other], "anything else goes to the handler set before"
        assert loop.get_exception_handler() is not None
    finally:
        loop.set_exception_handler(None)
    warnings = [r for r in caplog.records if r.name == "app.postgres"]
    assert [(r.levelname, r.exc_info) for r in warnings] == [("WARNING", None)]
    assert "connection was closed in the middle of operation" in warnings[0].getMessage()


def test_configure_replaces_its_own_handler_only() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        logging_setup.configure("INFO", "json")
        logging_setup.configure("DEBUG", "text")
        added = [h for h in root.handlers if h not in before]
        [formatter] = [h.formatter for h in added]
        assert isinstance(formatter, RedactingFormatter) and isinstance(formatter.inner, logging_setup.TextFormatter)
        assert all(h in root.handlers for h in before), "pytest's handlers stay"
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)


def test_a_text_record_is_one_line_whatever_its_message_holds() -> None:
    record = _record(logging.WARNING, "unhandled error on GET %s", reason="bad\n2026 ERROR forged")
    record.args = ("/x\n2026-12-04 00:00:00 ERROR app: forged\x1b[2J",)
    text = logging_setup.TextFormatter(logging_setup.TEXT_FORMAT).format(record)
    assert "\n" not in text and "\x1b" not in text
    assert text.endswith("GET /x\\n2026-12-04 00:00:00 ERROR app: forged\\x1b[2J [reason=bad\\n2026 ERROR forged]")
