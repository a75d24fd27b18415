"""Hand-written hostile requests against a real ``orders serve``: never a 5xx, each its exact answer.

Raw bytes over a socket, so that nothing a client library would refuse to send
is left out: over-long lines, broken headers and framing, bytes that are not
UTF-8 in paths and queries, broken compression, deep and huge JSON. What reaches
a route is answered with a problem (or a page), with ``nosniff`` and a ``Server``
header that names no version; what cannot even be parsed as HTTP is answered 4xx
by aiohttp's own parser, as ``text/plain`` (no public API changes that answer:
README, "Malformed HTTP"). The log of the run, at DEBUG, must hold no unhandled
error and no token, even from requests whose ``Authorization`` holds control
bytes. (The schemathesis run is test_api_schema.py.)
"""

import asyncio
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.service_process import ServiceProcess
from tests.sample_order import SAMPLE_PATH
from tests.servers import API_TOKEN, AUTHORIZED, create_database, drop_database, isolated_settings

SAMPLE = SAMPLE_PATH.read_bytes()
PROBLEM, HTML, PLAIN, JSON = "application/problem+json", "text/html", "text/plain", "application/json"
# Answered by aiohttp before any route: what its parser refuses, a target that is not a path, an unknown Expect.
AIOHTTP_OWN = {(400, PLAIN), (404, PLAIN), (417, PLAIN)}


def request(method: bytes, target: bytes, headers: tuple[tuple[bytes, bytes], ...] = (), body: bytes = b"") -> bytes:
    """A raw request, sent with the API token (what is hostile here is the rest)."""
    token = AUTHORIZED["Authorization"].encode()
    lines = b"".join(name + b": " + value + b"\r\n" for name, value in ((b"Authorization", token), *headers))
    return method + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + lines + b"\r\n" + body


def post(body: bytes, content_type: bytes = b"application/json", *more: tuple[bytes, bytes]) -> bytes:
    length = str(len(body)).encode()
    return request(b"POST", b"/api/orders", ((b"Content-Type", content_type), (b"Content-Length", length), *more), body)


def get(target: bytes, *headers: tuple[bytes, bytes]) -> bytes:
    return request(b"GET", target, headers)


def with_amount(text: bytes) -> bytes:
    return SAMPLE.replace(b'"amount": 1817', b'"amount": ' + text)


JSON_HEADER = (b"Content-Type", b"application/json")
# name: (the bytes sent, the status expected, the media type expected)
CASES: dict[str, tuple[bytes, int, str]] = {
    # the request line and the headers
    "request line of 100 KB": (get(b"/api/orders/" + b"a" * 100_000), 400, PLAIN),
    "query of 20 KB": (get(b"/api/orders?limit=" + b"1" * 20_000), 400, PLAIN),
    "header of 100 KB": (get(b"/healthz", (b"X-Big", b"v" * 100_000)), 400, PLAIN),
    "2,000 headers": (request(b"GET", b"/healthz", tuple((b"X-H%d" % n, b"v") for n in range(2000))), 400, PLAIN),
    "not a request line": (b"GARBAGE\r\n\r\n", 400, PLAIN),
    "HTTP/9.9": (get(b"/").replace(b"HTTP/1.1", b"HTTP/9.9"), 400, PLAIN),
    "space in a header name": (get(b"/", (b"Bad Header", b"x")), 400, PLAIN),
    "header line without a colon": (b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, PLAIN),
    "control bytes in Content-Type": (post(SAMPLE, b"\x01\x02;;;=="), 400, PLAIN),
    "unknown method": (request(b"FOO", b"/"), 400, PLAIN),
    "method of 5,000 letters": (request(b"A" * 5000, b"/"), 400, PLAIN),
    "HTTP/2 preface": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, PLAIN),
    "TLS handshake": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100, 400, PLAIN),
    "OPTIONS *": (request(b"OPTIONS", b"*"), 404, PLAIN),
    "CONNECT": (request(b"CONNECT", b"evil:443"), 404, PLAIN),
    "unknown Expect": (
        request(b"POST", b"/api/orders", (JSON_HEADER, (b"Expect", b"200-x"), (b"Content-Length", b"2")), b"{}"),
        417,
        PLAIN,
    ),
    "not UTF-8 in Host": (b"GET /healthz HTTP/1.1\r\nHost: \xff\xfe\r\nConnection: close\r\n\r\n", 200, JSON),
    "HTTP/1.0 without Host": (b"GET /healthz HTTP/1.0\r\n\r\n", 200, JSON),
    "not UTF-8 in Accept": (get(b"/healthz", (b"Accept", b"\xff\xfe;q=abc")), 200, JSON),
    "broken cookies": (get(b"/healthz", (b"Cookie", b"\xff=\xfe; ;;=")), 200, JSON),
    "Range past the end": (get(b"/static/style.css", (b"Range", b"bytes=999999999999999999-")), 200, "text/css"),
    "garbage If-Modified-Since": (get(b"/static/style.css", (b"If-Modified-Since", b"\xff x")), 200, "text/css"),
    "Last-Event-ID not UTF-8": (get(b"/events", (b"Last-Event-ID", b"\xff" * 100)), 200, "text/event-stream"),
    "websocket upgrade to /events": (
        get(b"/events", (b"Upgrade", b"websocket"), (b"Connection", b"Upgrade")),
        200,
        "text/event-stream",
    ),
    # paths
    "raw byte 0xFF in a path": (get(b"/api/orders/\xff\xfe"), 400, PLAIN),
    "%FF%FE as an order_uid": (get(b"/api/orders/%ff%fe"), 400, PROBLEM),
    "%FF%FE as an order page": (get(b"/orders/%ff%fe"), 400, HTML),
    "%FF%FE nowhere": (get(b"/nothing/%ff%fe"), 404, PROBLEM),
    "an encoded lone surrogate": (get(b"/nothing/%ed%a0%80"), 404, PROBLEM),
    "%FF as a static file": (get(b"/static/%ff"), 404, PROBLEM),
    "NUL as an order_uid": (get(b"/api/orders/%00"), 400, PROBLEM),
    "NUL in a path": (get(b"/x%00y"), 404, PROBLEM),
    "CR LF in an order_uid": (get(b"/api/orders/a%0d%0ab"), 400, PROBLEM),
    "65 letters as an order_uid": (get(b"/api/orders/" + b"a" * 65), 400, PROBLEM),
    "64 accented letters as an order_uid": (get(b"/api/orders/" + b"%C3%A9" * 64), 400, PROBLEM),
    "raw UTF-8 in a path": (get(b"/api/orders/" + "é".encode()), 400, PLAIN),
    "emoji as an order page": (get(b"/orders/" + b"%F0%9F%92%A9" * 10), 400, HTML),
    "../ encoded under /static": (get(b"/static/..%2f..%2fetc%2fpasswd"), 404, PROBLEM),
    "../ under /static": (get(b"/static/../../etc/passwd"), 404, PROBLEM),
    "a static name of 300 letters": (get(b"/static/" + b"a" * 300), 404, PROBLEM),
    "an absolute URI": (get(b"http://elsewhere/healthz"), 200, JSON),
    "PUT /api/orders": (request(b"PUT", b"/api/orders", (JSON_HEADER, (b"Content-Length", b"2")), b"{}"), 405, PROBLEM),
    "DELETE an order": (request(b"DELETE", b"/api/orders/abc"), 405, PROBLEM),
    # queries
    "raw byte 0xFF in a query": (get(b"/api/orders?customer_id=\xff"), 400, PLAIN),
    "limit=%FF": (get(b"/api/orders?limit=%ff"), 400, PROBLEM),
    "limit of 100 nines": (get(b"/api/orders?limit=" + b"9" * 100), 400, PROBLEM),
    "limit=-1": (get(b"/api/orders?limit=-1"), 400, PROBLEM),
    "limit twice": (get(b"/api/orders?limit=1&limit=2"), 400, PROBLEM),
    "cursor=%%%%": (get(b"/api/orders?cursor=%%%%"), 400, PROBLEM),
    "customer_id=%00": (get(b"/api/orders?customer_id=%00"), 400, PROBLEM),
    "customer_id of 300 letters": (get(b"/api/orders?customer_id=" + b"c" * 300), 400, PROBLEM),
    # not UTF-8 cannot match stored text, which is: an empty page
    "customer_id=%FF%FE": (get(b"/api/orders?customer_id=%ff%fe"), 200, JSON),
    "search for %FF%FE": (get(b"/orders?uid=%ff%fe"), 400, HTML),
    "wait=nan": (post(SAMPLE).replace(b"/api/orders ", b"/api/orders?wait=nan "), 400, PROBLEM),
    "wait=1e309": (post(SAMPLE).replace(b"/api/orders ", b"/api/orders?wait=1e309 "), 400, PROBLEM),
    "wait=-1": (post(SAMPLE).replace(b"/api/orders ", b"/api/orders?wait=-1 "), 400, PROBLEM),
    "dead letters with %FF": (get(b"/dead-letters?reason=%ff"), 200, HTML),
    # framing of bodies
    "Content-Length -1": (request(b"POST", b"/api/orders", (JSON_HEADER, (b"Content-Length", b"-1"))), 400, PLAIN),
    "Content-Length abc": (request(b"POST", b"/api/orders", (JSON_HEADER, (b"Content-Length", b"abc"))), 400, PLAIN),
    "Content-Length of 100 TB, no body": (
        request(b"POST", b"/api/orders", (JSON_HEADER, (b"Content-Length", b"99999999999999"))),
        413,
        PROBLEM,
    ),
    "Content-Length and chunked": (
        request(
            b"POST",
            b"/api/orders",
            (JSON_HEADER, (b"Content-Length", b"5"), (b"Transfer-Encoding", b"chunked")),
            b"0\r\n\r\n",
        ),
        400,
        PLAIN,
    ),
    "a chunk size that is no number": (
        request(b"POST", b"/api/orders", (JSON_HEADER, (b"Transfer-Encoding", b"chunked")), b"zz\r\nabc\r\n0\r\n\r\n"),
        400,
        PLAIN,
    ),
    "gzip that is not gzip": (
        post(b"not gzip at all", b"application/json", (b"Content-Encoding", b"gzip")),
        400,
        PROBLEM,
    ),
    "deflate that is not deflate": (
        post(b"not deflate", b"application/json", (b"Content-Encoding", b"deflate")),
        400,
        PROBLEM,
    ),
    "brotli, which is not installed": (post(b"not br", b"application/json", (b"Content-Encoding", b"br")), 400, PLAIN),
    "a gzip bomb of 50 MB": (
        post(gzip.compress(b" " * 50_000_000), b"application/json", (b"Content-Encoding", b"gzip")),
        413,
        PROBLEM,
    ),
    "a body of 1 MiB and a byte": (post(b" " * (1024 * 1024 + 1)), 413, PROBLEM),
    # bodies
    "the sample, gzipped": (
        post(gzip.compress(SAMPLE), b"application/json", (b"Content-Encoding", b"gzip")),
        202,
        JSON,
    ),
    "an unknown Content-Encoding over plain bytes": (
        post(SAMPLE, b"application/json", (b"Content-Encoding", b"x")),
        202,
        JSON,
    ),
    "charset=utf-16 over UTF-8 bytes": (post(SAMPLE, b"application/json; charset=utf-16"), 202, JSON),
    "text/plain": (post(SAMPLE, b"text/plain"), 415, PROBLEM),
    "no Content-Type": (request(b"POST", b"/api/orders", ((b"Content-Length", b"2"),), b"{}"), 415, PROBLEM),
    "an empty body": (post(b""), 422, PROBLEM),
    "100,000 nested arrays": (post(b"[" * 100_000 + b"]" * 100_000), 422, PROBLEM),
    "50,000 nested objects": (post(b'{"a":' * 50_000 + b"1" + b"}" * 50_000), 422, PROBLEM),
    "an order with 5,000 nested objects in an unknown field": (
        post(SAMPLE[:-2] + b', "x": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"),
        422,
        PROBLEM,
    ),
    "a byte order mark": (post(b"\xef\xbb\xbf" + SAMPLE), 422, PROBLEM),
    "UTF-16": (post(SAMPLE.decode().encode("utf-16")), 422, PROBLEM),
    "a byte 0xFF in a name": (post(SAMPLE.replace(b"Mascaras", b"Masc\xffaras")), 422, PROBLEM),
    "a byte 0xFF in an unknown field": (post(SAMPLE[:-2] + b', "x": "\xff"}'), 422, PROBLEM),
    "NaN as the amount": (post(with_amount(b"NaN")), 422, PROBLEM),
    "Infinity as the amount": (post(with_amount(b"Infinity")), 422, PROBLEM),
    "1e400 as the amount": (post(with_amount(b"1e400")), 422, PROBLEM),
    "a 5,000-digit amount": (post(with_amount(b"1" + b"0" * 5000)), 422, PROBLEM),
    "a 100,000-digit amount": (post(with_amount(b"1" + b"0" * 100_000)), 422, PROBLEM),
    "an array of 600,000 numbers": (post(b"[" + b"1," * 600_000 + b"1]"), 413, PROBLEM),
    "a JSON string": (post(b'"an order"'), 422, PROBLEM),
    "JSON null": (post(b"null"), 422, PROBLEM),
}


@pytest.fixture(scope="module")
def service(postgres_server_url, template_database, nats_url, tmp_path_factory) -> Iterator[ServiceProcess]:
    database_url = asyncio.run(create_database(postgres_server_url, template=template_database))
    log = tmp_path_factory.mktemp("hostile") / "service.log"
    process = ServiceProcess(isolated_settings(nats_url, database_url, log_level="DEBUG"), Path(log))
    process.start()
    try:
        asyncio.run(process.wait_ready())
        yield process
    finally:
        process.terminate()
        asyncio.run(drop_database(postgres_server_url, database_url))


async def send(service: ServiceProcess, data: bytes) -> tuple[int, str, bytes]:
    """The status, media type and the start of the body of the answer to ``data``."""
    status, headers, body = await exchange(service, data)
    return status, headers.get("content-type", "").split(";")[0], body


async def exchange(service: ServiceProcess, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """The status, headers (names in lower case) and the start of the body of the answer to ``data``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    try:
        writer.write(data)
        answer = b""
        async with asyncio.timeout(10):
            while b"\r\n\r\n" not in answer:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                answer += chunk
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("name", list(CASES))
async def test_a_hostile_request_gets_its_exact_4xx_or_success(service: ServiceProcess, name: str) -> None:
    data, expected_status, expected_type = CASES[name]

    status, headers, body = await exchange(service, data)

    media_type = headers.get("content-type", "").split(";")[0]
    assert (status, media_type) == (expected_status, expected_type), body[:300]
    if media_type == PROBLEM:
        assert f'"status":{status}'.encode() in body
    if (status, media_type) not in AIOHTTP_OWN:
        assert headers.get("x-content-type-options") == "nosniff"
        assert headers.get("server") == "order-service"


HALF = len(API_TOKEN) // 2
TOKEN_BYTES = API_TOKEN.encode()
# Requests that carry the API token next to a control byte, which aiohttp refuses and used to quote in the log.
TOKENS_WITH_CONTROL_BYTES = {
    "a control byte after the token": b"Bearer " + TOKEN_BYTES + b"\x01",
    "a control byte before the token": b"Bearer \x1b" + TOKEN_BYTES,
    "a bell in the middle of the token": b"Bearer " + TOKEN_BYTES[:HALF] + b"\x07" + TOKEN_BYTES[HALF:],
    "a NUL after the scheme": b"Bearer\x00" + TOKEN_BYTES,
    "the token in a header too long to read": b"Bearer " + TOKEN_BYTES + b"A" * 10_000,
}


def _with_authorization(value: bytes) -> bytes:
    return b"GET /api/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " + value + b"\r\n\r\n"


@pytest.mark.parametrize("name", list(TOKENS_WITH_CONTROL_BYTES))
async def test_a_token_next_to_a_control_byte_is_refused_and_never_logged(service: ServiceProcess, name: str) -> None:
    log_before = service.log_path.stat().st_size

    status, _, _ = await exchange(service, _with_authorization(TOKENS_WITH_CONTROL_BYTES[name]))

    assert status == 400
    await asyncio.sleep(0.2)  # the child's log line
    with open(service.log_path, "rb") as log:
        log.seek(log_before)
        logged = log.read()
    assert b"aiohttp.server" in logged, "the refusal is logged, as one line"
    for part in (TOKEN_BYTES, TOKEN_BYTES[:HALF], TOKEN_BYTES[HALF:]):
        assert part not in logged, logged[-500:]


async def test_other_places_a_token_may_hide_are_never_logged(service: ServiceProcess) -> None:
    """A token in a cookie or in the request line, next to a control byte; a pipelined second request."""
    for data in (
        b"GET / HTTP/1.1\r\nHost: x\r\nCookie: session=" + TOKEN_BYTES + b"\x01\r\n\r\n",
        b"GET /?token=" + TOKEN_BYTES + b"\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
        get(b"/healthz").replace(b"Connection: close", b"Connection: keep-alive")
        + _with_authorization(b"Bearer " + TOKEN_BYTES + b"\x02"),
    ):
        status, _, _ = await exchange(service, data)
        assert status in (200, 400)
    await asyncio.sleep(0.2)
    assert API_TOKEN not in service.log_path.read_text(errors="replace")


async def test_the_service_logged_no_unhandled_error_and_is_still_ready(service: ServiceProcess) -> None:
    await service.wait_ready(timeout=5)
    log = service.log_path.read_text(errors="replace")
    assert "unhandled error" not in log and "Internal Server Error" not in log
    assert API_TOKEN not in log, "every request of the run sent it"
    assert "Traceback" not in log


async def test_under_gunicorn_workers_the_same_requests_log_no_token_and_no_traceback(
    postgres_server_url, template_database, nats_url, tmp_path: Path
) -> None:
    """``orders serve --workers 2``: aiohttp logs through gunicorn's logger there, not ``aiohttp.server``.
    The log is JSON lines here (the module's service logs text)."""
    database_url = await create_database(postgres_server_url, template=template_database)
    settings = isolated_settings(nats_url, database_url, log_level="DEBUG", log_format="json")
    workers = ServiceProcess(settings, tmp_path / "workers.log", args=["--workers", "2"])
    workers.start()
    try:
        await workers.wait_ready()
        for value in TOKENS_WITH_CONTROL_BYTES.values():
            status, _, _ = await exchange(workers, _with_authorization(value))
            assert status == 400
        for name in ("gzip that is not gzip", "Content-Length and chunked", "HTTP/9.9", "Last-Event-ID not UTF-8"):
            data, expected_status, expected_type = CASES[name]
            status, headers, _ = await exchange(workers, data)
            for _ in range(300):  # the worker that answers may still be starting
                if status != 503:
                    break
                await asyncio.sleep(0.1)
                status, headers, _ = await exchange(workers, data)
            assert (status, headers.get("content-type", "").split(";")[0]) == (expected_status, expected_type)
            if (status, expected_type) not in AIOHTTP_OWN:
                assert (headers.get("server"), headers.get("x-content-type-options")) == ("order-service", "nosniff")
        await asyncio.sleep(0.3)
    finally:
        workers.terminate()
        await drop_database(postgres_server_url, database_url)
    log = workers.log_path.read_text(errors="replace")
    assert "Error handling request" in log, "the refusals are logged"
    assert API_TOKEN not in log and TOKEN_BYTES[HALF:].decode() not in log
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
    records = [json.loads(line) for line in log.splitlines()]
    refusals = [r for r in records if r["message"].startswith("Error handling request")]
    assert len(refusals) >= len(TOKENS_WITH_CONTROL_BYTES) and {r["level"] for r in refusals} == {"WARNING"}
