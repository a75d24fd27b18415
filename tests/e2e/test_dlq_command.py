"""``orders dlq`` as a command against the service's real streams: list, show, replay after a fix, purge."""

import asyncio
import os
import subprocess
import sys

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from app.domain.order_factory import OrderFactory
from app.entrypoints.settings import Settings
from tests.e2e.helpers import dead_letters, eventually, publish, start_client
from tests.e2e.service_process import ROOT

FIXABLE = "fixable-by-the-operator"


@pytest.fixture
async def client(aiohttp_client, settings) -> TestClient:
    client = await start_client(aiohttp_client, settings)

    async def ready() -> bool:
        return (await client.get("/readyz")).status == 200

    await eventually(ready, 30, "readiness")
    return client


def dlq(settings: Settings, *args: str, stdin: str = "") -> tuple[int, str]:
    env = {
        **os.environ,
        "NATS_URL": settings.nats_url or "",
        "DLQ_STREAM": settings.dlq_stream,
        "ORDERS_SUBJECT": settings.orders_subject,
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.entrypoints.cli", "dlq", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


async def served(client: TestClient, uid: str) -> bool:
    return (await client.get(f"/api/orders/{uid}")).status == 200


async def test_dead_letters_are_listed_shown_replayed_once_fixed_and_purged(client, nc, settings) -> None:
    factory = OrderFactory(seed=23)
    kept, fixable = factory.order(), dict(factory.order(), order_uid=FIXABLE)
    conflicting = dict(kept, customer_id="someone-else")
    no_payment = {k: v for k, v in factory.order().items() if k != "payment"}
    # The operator's own rule, which storage enforces until it is dropped: the order is unstorable.
    conn = await asyncpg.connect(settings.database_url)
    await conn.execute(f"ALTER TABLE orders ADD CONSTRAINT not_yet CHECK (order_uid <> '{FIXABLE}')")
    await publish(nc, settings, orjson.dumps(kept), kept["order_uid"])
    await eventually(lambda: served(client, kept["order_uid"]), what="the first order")
    await publish(nc, settings, orjson.dumps(conflicting), "conflicting")
    await publish(nc, settings, b"{not json", "not-json")
    await publish(nc, settings, orjson.dumps(no_payment), "no-payment")
    await publish(nc, settings, orjson.dumps(fixable), FIXABLE)  # its uid as message id, as POST does
    await dead_letters(nc, settings, expected=4)

    status, listing = dlq(settings, "list")
    assert status == 0, listing
    *lines, summary = listing.splitlines()
    by_uid = {line.split()[4]: (int(line.split()[0]), line.split()[3]) for line in lines}
    assert by_uid == {
        kept["order_uid"]: (by_uid[kept["order_uid"]][0], "conflict"),
        no_payment["order_uid"]: (by_uid[no_payment["order_uid"]][0], "invalid"),
        "-": (by_uid["-"][0], "invalid"),  # not JSON: no uid to read
        FIXABLE: (by_uid[FIXABLE][0], "unstorable"),
    }
    assert summary == "4 dead letters; invalid: 2; conflict: 1; unstorable: 1"
    conflict_seq, not_json_seq, fixable_seq = (by_uid[uid][0] for uid in (kept["order_uid"], "-", FIXABLE))
    status, invalid = dlq(settings, "list", "--reason", "invalid", "--since", "10m", "--json")
    rows = [orjson.loads(line) for line in invalid.splitlines()]
    assert [row["kind"] for row in rows[:-1]] == ["invalid", "invalid"]
    assert rows[-1] == {"counts": {"invalid": 2}, "total": 2}
    assert {row["reason"].split(" (")[0].split(":")[0] for row in rows[:-1]} == {"payment", "not valid JSON"}
    assert {row["deliveries"] for row in rows[:-1]} == {1}
    status, shown = dlq(settings, "show", str(not_json_seq))
    assert status == 0 and "Orders-Error-Kind: invalid" in shown and shown.rstrip().endswith("{not json")
    assert "Orders-Original-Msg-Id: not-json" in shown

    await conn.execute("ALTER TABLE orders DROP CONSTRAINT not_yet")  # the cause, fixed
    await conn.close()
    status, replayed = dlq(settings, "replay", "--reason", "unstorable")
    assert status == 0, replayed
    assert f"replayed {fixable_seq} as replay:{settings.dlq_stream}:{fixable_seq}:" in replayed
    await eventually(lambda: served(client, FIXABLE), what="the replayed order")
    assert await (await client.get(f"/api/orders/{FIXABLE}")).json() == fixable

    status, replayed = dlq(settings, "replay", str(conflict_seq))  # still a conflict: it comes back with its reason
    assert status == 0, replayed
    [*_, again] = await dead_letters(nc, settings, expected=3)  # two invalid, and the conflict again
    assert again.metadata.sequence.stream == 5
    assert again.headers["Orders-Error-Kind"] == "conflict"
    assert again.headers["Orders-Replay-Of"] == f"{settings.dlq_stream}:{conflict_seq}"

    assert dlq(settings, "replay")[0] == 2, "no selector: nothing is replayed"
    status, refused = dlq(settings, "purge", "--reason", "invalid")  # no one answers the question
    assert status == 1 and "nothing purged" in refused
    status, purged = dlq(settings, "purge", "--reason", "invalid", stdin="y\n")
    assert status == 0 and "purged 2, missing 0, left 0" in purged
    status, listing = dlq(settings, "list")
    assert listing.splitlines()[-1] == "1 dead letters; conflict: 1"
    assert dlq(settings, "purge", "--all", "--yes")[0] == 0
    await asyncio.sleep(0)
    assert dlq(settings, "list")[1].strip() == "0 dead letters"


RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\r", "\u202e")


async def test_list_and_show_print_control_bytes_as_escapes(client, nc, settings) -> None:
    """A producer's message (and a forged dead letter) holding ESC, BEL and friends cannot drive the terminal."""
    body = b'{"x": "\x1b[2J\x1b]0;owned\x07"}\nsecond line\r\x9b'
    await nc.jetstream().publish(settings.orders_subject, body, headers={"X-Note": "\x1b[31mred\x07"})
    forged = {"Orders-Error-Kind": "invalid", "Orders-Error": "bad \x1b[1A\x07", "Orders-Order-Uid": "u\x1b]0;t\x07"}
    await nc.jetstream().publish(settings.dlq_subject, b"\xe2\x80\xae\x07", headers=forged)
    await dead_letters(nc, settings, expected=2)

    status, listing = dlq(settings, "list")
    assert status == 0, listing
    assert not any(c in listing for c in RAW_CONTROLS), repr(listing)
    assert "u\\x1b]0;t\\x07" in listing and "bad \\x1b[1A\\x07" in listing
    status, as_json = dlq(settings, "list", "--json")
    assert status == 0 and not any(c in as_json for c in RAW_CONTROLS), repr(as_json)
    assert {orjson.loads(line).get("order_uid") for line in as_json.splitlines()} >= {"u\x1b]0;t\x07"}
    sequences = [line.split()[0] for line in listing.splitlines()[:2]]
    shown = ""
    for sequence in sequences:
        status, text = dlq(settings, "show", sequence)
        assert status == 0, text
        shown += text
    assert not any(c in shown for c in RAW_CONTROLS), repr(shown)
    assert "X-Note: \\x1b[31mred\\x07" in shown and "Orders-Order-Uid: u\\x1b]0;t\\x07" in shown
    assert '{"x": "\\x1b[2J\\x1b]0;owned\\x07"}\nsecond line\\r\\x9b\n' in shown, "its lines kept"
    assert "\\u202e\\x07\n" in shown
