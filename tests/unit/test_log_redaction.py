"""No secret in a log line: header values, credentials, URL passwords and the configured secrets masked."""

import json
import logging

from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

from app.entrypoints import logging_setup
from app.entrypoints.log_redaction import MASK, RedactingFormatter, Redactor, url_passwords

TOKEN = "s3cr3t-token-value"


def _line(message: str, log_format: str = "text", *secrets: str, exc: BaseException | None = None) -> str:
    record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, message, (), None)
    if exc is not None:
        record.exc_info = (type(exc), exc, None)
    inner = logging_setup.json_formatter() if log_format == "json" else logging.Formatter()
    return RedactingFormatter(inner, Redactor(secrets)).format(record)


def test_header_values_credentials_and_url_passwords_are_masked() -> None:
    redact = Redactor()
    assert redact("b'Authorization: Bearer abc\\x01def' ^") == f"b'Authorization: {MASK}' ^"
    assert redact("Cookie: sid=xyz; other=1\nnext") == f"Cookie: {MASK}\nnext"
    assert redact("Set-Cookie=abc") == f"Set-Cookie={MASK}"
    assert redact("got b'Bearer abcdefAAAA...'") == f"got b'Bearer {MASK}'"
    assert redact("basic dXNlcjpwYXNz.") == f"basic {MASK}"
    assert redact("nats://orders:pa55@nats:4222 down") == f"nats://orders:{MASK}@nats:4222 down"
    assert redact("no secret here: order abc") == "no secret here: order abc"


def test_known_secrets_are_masked_anywhere_and_short_ones_are_not() -> None:
    redact = Redactor([TOKEN, "abc"])
    assert redact(f"?token={TOKEN}&x") == f"?token={MASK}&x"
    assert redact("abc") == "abc", "too short to mask without masking ordinary words"


def test_a_json_line_stays_json_and_a_traceback_is_masked_too() -> None:
    line = _line(f'said "Authorization: Bearer {TOKEN}" twice', "json")
    assert TOKEN not in line and json.loads(line)["message"] == f'said "Authorization: {MASK}" twice'
    try:
        raise ValueError(f"header was Authorization: Bearer {TOKEN}")
    except ValueError as error:
        text = _line("failed", "text", exc=error)
    assert TOKEN not in text and "ValueError: header was Authorization" in text


def test_url_passwords_are_found_in_server_lists() -> None:
    assert url_passwords("nats://a:p1@h1:4222, nats://b:p2@h2:4222", "postgresql://u:p3@db/x", None) == [
        "p1",
        "p2",
        "p3",
    ]
    assert url_passwords("nats://h:4222", "not a url [") == []


def test_a_request_aiohttp_cannot_parse_is_logged_without_the_bytes_it_quotes() -> None:
    quoted = BadHttpMessage(f"Invalid header value char:\n\n  b'Authorization: Bearer {TOKEN}\\x01'\n    ^")
    too_long = LineTooLong(f"Bearer {TOKEN}AAAA".encode(), "8190")
    for error, problem in ((quoted, "Invalid header value char"), (too_long, "Got more than 8190 bytes when reading")):
        for level in (logging.DEBUG, logging.ERROR):
            record = logging.LogRecord("aiohttp.server", level, __file__, 1, "Error handling request", (), None)
            record.exc_info = (type(error), error, None)
            logging_setup.ClientErrorsAsWarnings().filter(record)
            assert record.getMessage() == f"Error handling request: {type(error).__name__}: {problem}"
            assert record.exc_info is None and record.levelno == min(level, logging.WARNING)


def test_what_aiohttp_says_is_kept_up_to_what_it_quotes() -> None:
    cases = {
        BadHttpMessage("Transfer-Encoding can't be present with Content-Length"): (
            "Transfer-Encoding can't be present with Content-Length"
        ),
        BadHttpMessage("Got more than 8190 bytes when reading: bytearray(b'Bearer x...')."): (
            "Got more than 8190 bytes when reading"
        ),
        BadHttpMessage("Bad status line:\n  Invalid HTTP version:\n\n  b'GET / HTTP/9.9'\n   ^"): (
            "Bad status line: Invalid HTTP version"
        ),
    }
    for error, problem in cases.items():
        assert logging_setup.client_error_problem(error) == problem
