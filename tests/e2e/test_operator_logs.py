"""What ``orders serve`` tells its operators, read from its own output (``LOG_FORMAT=json``).

One JSON object a line; a dead letter and a conflict are one WARNING each, with
the order_uid, stream sequence, batch id and reason; a client's malformed request
(aiohttp logs it with a traceback) is one WARNING; nothing is an ERROR and no
line holds a traceback.
"""

import asyncio
import json
from pathlib import Path

import nats
import orjson

from app.domain.order_factory import OrderFactory
from tests.e2e.helpers import dead_letters, eventually
from tests.e2e.service_process import ServiceProcess
from tests.servers import isolated_settings

DEAD_LETTER_LOGGER = "app.adapters.jetstream_dead_letter_sink"


async def raw_request(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await reader.read(200)
    writer.close()
    return answer


async def test_the_service_logs_json_and_expected_trouble_as_warnings(
    nats_url: str, database_url: str, tmp_path: Path
) -> None:
    settings = isolated_settings(nats_url, database_url, log_format="json")
    service = ServiceProcess(settings, tmp_path / "service.log")
    service.start()
    try:
        await service.wait_ready()
        order = OrderFactory(seed=51).order()
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await js.publish(settings.orders_subject, orjson.dumps(order), headers={"Nats-Msg-Id": order["order_uid"]})
        await eventually(lambda: _stored(service, order["order_uid"]), what="the order stored")
        conflicting = {**order, "customer_id": "someone-else"}
        await js.publish(settings.orders_subject, orjson.dumps(conflicting))  # no id: not deduplicated
        await js.publish(settings.orders_subject, b"{not json")
        letters = await dead_letters(nc, settings, 2)
        await nc.close()
        sequences = {int(letter.headers["Orders-Stream-Sequence"]) for letter in letters}

        too_long = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        bad_header = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
        for request in (too_long, bad_header):
            assert (await raw_request(service.port, request)).startswith(b"HTTP/1.0 400")
        await asyncio.sleep(0.2)
    finally:
        assert service.terminate() == 0

    lines = [json.loads(line) for line in (tmp_path / "service.log").read_text().splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert [line for line in lines if line["level"] in ("ERROR", "CRITICAL")] == []
    assert not [line for line in lines if "Traceback" in json.dumps(line) or "exc_info" in line]

    letters_logged = [line for line in lines if line["logger"] == DEAD_LETTER_LOGGER]
    assert len(letters_logged) == 2, letters_logged  # once each
    assert all(line["level"] == "WARNING" and line["batch_id"] for line in letters_logged)
    assert {line["stream_sequence"] for line in letters_logged} == sequences
    by_uid = {line["order_uid"]: line for line in letters_logged}
    assert set(by_uid) == {order["order_uid"], None}
    assert by_uid[order["order_uid"]]["reason"].startswith("conflict: order_uid")
    assert by_uid[None]["reason"]

    client_errors = [line for line in lines if line["logger"] == "aiohttp.server"]
    assert [line["level"] for line in client_errors] == ["WARNING", "WARNING"]
    assert "LineTooLong" in client_errors[0]["message"] and "BadHttpMessage" in client_errors[1]["message"]


async def _stored(service: ServiceProcess, uid: str) -> bool:
    status, _ = await service.get(f"/api/orders/{uid}")
    return status == 200
