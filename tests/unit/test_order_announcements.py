"""The announcements' bodies: every order once, byte for byte, in pieces of at most 512 KiB."""

import orjson

from app.adapters.nats_order_announcements import MAX_BODY, announced_orders, announcement_bodies
from tests.unit.sample import order_doc, serialized

ORDERS = [serialized(order_doc(f"ann-{n}")) for n in range(1, 1001)]


def test_a_batch_is_split_into_bodies_no_larger_than_the_limit_with_every_order_once() -> None:
    bodies = list(announcement_bodies(ORDERS))
    assert len(bodies) > 1, "a 1,000-order batch needs more than one message"
    assert max(len(body) for body in bodies) <= MAX_BODY
    heard = [order for body in bodies for order in announced_orders(body)]
    assert [o.uid for o in heard] == [o.uid for o in ORDERS]
    assert [o.json for o in heard] == [o.json for o in ORDERS], "the documents as the API serves them"
    assert heard[0].order == ORDERS[0].order


def test_each_body_is_a_json_array_of_the_documents() -> None:
    body = next(announcement_bodies(ORDERS[:3]))
    assert body == b"[" + b",".join(o.json for o in ORDERS[:3]) + b"]"
    assert [d["order_uid"] for d in orjson.loads(body)] == ["ann-1", "ann-2", "ann-3"]


def test_a_body_fills_up_to_exactly_the_limit() -> None:
    one = len(ORDERS[0].json)
    bodies = list(announcement_bodies(ORDERS[:4], limit=2 + 2 * one + 1))
    assert [len(body) for body in bodies] == [2 + 2 * one + 1] * 2


def test_an_order_larger_than_a_message_is_left_out_not_sent_oversized() -> None:
    small = len(ORDERS[1].json)
    bodies = list(announcement_bodies(ORDERS[:3], limit=small + 1))
    assert bodies == [], "no order fits with its brackets"
    bodies = list(announcement_bodies(ORDERS[:3], limit=small + 2))
    assert [o.uid for body in bodies for o in announced_orders(body)] == ["ann-1", "ann-2", "ann-3"]


def test_a_document_that_is_not_an_order_is_left_out() -> None:
    body = b"[" + ORDERS[0].json + b',{"order_uid":"half"},' + ORDERS[1].json + b"]"
    assert [o.uid for o in announced_orders(body)] == ["ann-1", "ann-2"]
