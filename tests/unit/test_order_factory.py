"""Unit tests for the fake order factory: valid orders pass, invalid messages fail."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.order_factory import OrderFactory
from app.domain.validation import InvalidOrder, parse_order
from tests.sample_order import SAMPLE_PATH

SAMPLE = SAMPLE_PATH
NOW = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)
# The field path (or "" for the whole message) each kind of invalid message must be rejected for.
EXPECTED_PATH = {
    "not_json": r"^$",
    "truncated_json": r"^$",
    "json_array": r"^$",
    "string_for_int": r"^items\[0\]\.price$",
    "negative_price": r"^items\[0\]\.price$",
    "broken_amount": r"^payment\.amount$",
    "empty_items": r"^items$",
    "bad_order_uid": r"^order_uid$",
    "missing_field": r"^(order_uid|delivery|payment|items|date_created)$",
}


def _keys(value: object) -> object:
    """The key structure of a JSON value (dict key order included), items reduced to the first."""
    if isinstance(value, dict):
        return [(key, _keys(child)) for key, child in value.items()]
    if isinstance(value, list):
        return [_keys(value[0])]
    return type(value).__name__


def test_thousand_orders_are_valid_and_shaped_like_the_sample() -> None:
    factory = OrderFactory(seed=1, now=NOW)
    sample_shape = _keys(json.loads(SAMPLE.read_bytes()))
    uids = set()
    for _ in range(1000):
        order = factory.order()
        assert _keys(order) == sample_shape
        parsed = parse_order(json.dumps(order).encode())
        assert re.fullmatch(r"[a-z0-9]{20}", order["order_uid"])
        assert re.fullmatch(r"WBIL[A-Z]{10}", order["track_number"])
        assert 1 <= len(order["items"]) <= 5
        assert all(item["track_number"] == order["track_number"] for item in order["items"])
        assert all(0 <= item["sale"] <= 50 for item in order["items"])
        assert NOW - timedelta(days=7) <= parsed.date_created <= NOW
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", order["date_created"])
        assert abs(order["payment"]["payment_dt"] - parsed.date_created.timestamp()) <= 3600
        assert order["payment"]["currency"] in {"USD", "EUR", "RUB"}
        uids.add(order["order_uid"])
    assert len(uids) == 1000


def test_invalid_messages_cycle_through_every_kind_and_all_fail() -> None:
    factory = OrderFactory(seed=2, now=NOW)
    for round_ in range(5):
        for kind in OrderFactory.INVALID_KINDS:
            body = factory.invalid_message()
            assert isinstance(body, bytes)
            with pytest.raises(InvalidOrder) as caught:
                parse_order(body)
            assert caught.value.violations, kind
            assert caught.value.reason, kind
            paths = [violation.path for violation in caught.value.violations]
            assert any(re.match(EXPECTED_PATH[kind], path) for path in paths), (
                kind,
                round_,
                caught.value.reason,
            )


def test_seeded_factory_is_deterministic() -> None:
    first, second = OrderFactory(seed=42, now=NOW), OrderFactory(seed=42, now=NOW)
    assert [first.order() for _ in range(50)] == [second.order() for _ in range(50)]
    assert [first.invalid_message() for _ in range(20)] == [second.invalid_message() for _ in range(20)]
    assert OrderFactory(seed=43, now=NOW).order() != OrderFactory(seed=42, now=NOW).order()


def test_unseeded_factories_differ_and_default_to_recent_dates() -> None:
    order = OrderFactory().order()
    assert order != OrderFactory().order()
    created = parse_order(json.dumps(order).encode()).date_created
    assert timedelta(0) <= datetime.now(UTC) - created <= timedelta(days=7, minutes=1)
