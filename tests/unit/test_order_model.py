"""Parsing, validating and serializing an order (app/domain: model, validation, document)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from app.domain.document import serialize
from app.domain.model import INT64_MAX
from app.domain.validation import InvalidOrder, parse_order
from tests.unit.sample import sample, to_bytes


def with_value(path: tuple, value: Any) -> dict:
    """The sample with the field at ``path`` (keys / list indexes) set to ``value``."""
    doc = sample()
    *parents, last = path
    target = doc
    for part in parents:
        target = target[part]
    target[last] = value
    return doc


def without(path: tuple) -> dict:
    doc = sample()
    *parents, last = path
    target = doc
    for part in parents:
        target = target[part]
    del target[last]
    return doc


def violations_of(raw: bytes) -> dict[str, str]:
    """path → message for every violation parse_order reports."""
    with pytest.raises(InvalidOrder) as caught:
        parse_order(raw)
    return {v.path: v.message for v in caught.value.violations}


# --- the happy path -------------------------------------------------------


def test_sample_parses_into_an_order() -> None:
    order = parse_order(to_bytes(sample()))

    assert order.order_uid == "b563feb7b2b84b6test"
    assert order.payment.amount == 1817
    assert [item.chrt_id for item in order.items] == [9934930]
    assert order.date_created == datetime(2021, 11, 26, 6, 22, 19, tzinfo=UTC)


def test_serialized_json_equals_the_sample() -> None:
    document = serialize(parse_order(to_bytes(sample())))

    assert orjson.loads(document.json) == sample()
    assert list(orjson.loads(document.json)) == list(sample()), "keys keep the sample's order"
    assert b'"date_created":"2021-11-26T06:22:19Z"' in document.json


def test_serialized_order_carries_its_uid() -> None:
    assert serialize(parse_order(to_bytes(sample()))).uid == "b563feb7b2b84b6test"


def test_same_content_formatted_differently_gives_the_same_json() -> None:
    compact = serialize(parse_order(to_bytes(sample())))
    pretty = serialize(parse_order(orjson.dumps(sample(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)))

    assert pretty.json == compact.json


def test_different_content_gives_different_json() -> None:
    first = serialize(parse_order(to_bytes(sample())))
    second = serialize(parse_order(to_bytes(with_value(("customer_id",), "someone-else"))))

    assert second.json != first.json


def test_date_with_offset_is_stored_in_utc_with_z() -> None:
    order = parse_order(to_bytes(with_value(("date_created",), "2021-11-26T09:22:19+03:00")))

    assert order.date_created.utcoffset() == timedelta(0)
    assert orjson.loads(serialize(order).json)["date_created"] == "2021-11-26T06:22:19Z"


def test_unknown_fields_are_ignored_and_not_serialized() -> None:
    doc = sample()
    doc["promo_code"] = "SPRING"
    doc["delivery"]["floor"] = 3
    doc["items"][0]["colour"] = "black"

    document = serialize(parse_order(to_bytes(doc)))

    assert orjson.loads(document.json) == sample()


# --- strict types ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("payment", "amount"), "1817", "payment.amount"),
        (("payment", "amount"), 1817.0, "payment.amount"),
        (("payment", "amount"), True, "payment.amount"),
        (("payment", "amount"), None, "payment.amount"),
        (("items", 0, "price"), "453", "items[0].price"),
        (("sm_id",), 99.5, "sm_id"),
        (("delivery", "zip"), 2639809, "delivery.zip"),
        (("order_uid",), 12345, "order_uid"),
        (("items",), {"0": {}}, "items"),
        (("delivery",), "Kiryat Mozkin", "delivery"),
    ],
    ids=lambda v: repr(v),
)
def test_wrong_json_type_is_rejected_not_coerced(path: tuple, value: Any, expected: str) -> None:
    found = violations_of(to_bytes(with_value(path, value)))

    assert list(found) == [expected]
    assert repr(value) in found[expected], "the message shows the offending input"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("order_uid",), "order_uid"),
        (("date_created",), "date_created"),
        (("delivery", "email"), "delivery.email"),
        (("payment", "bank"), "payment.bank"),
        (("items", 0, "price"), "items[0].price"),
    ],
)
def test_missing_field_is_reported_with_its_path(path: tuple, expected: str) -> None:
    assert violations_of(to_bytes(without(path))) == {expected: "Field required"}


# --- order_uid ------------------------------------------------------------


@pytest.mark.parametrize(
    "uid",
    ["", "a" * 65, "bad uid!", "abc\n", "заказ", "a/b", "a.b"],
    ids=["empty", "65-chars", "space-and-bang", "trailing-newline", "non-ascii", "slash", "dot"],
)
def test_bad_order_uid_is_rejected(uid: str) -> None:
    assert list(violations_of(to_bytes(with_value(("order_uid",), uid)))) == ["order_uid"]


@pytest.mark.parametrize("uid", [("aZ09_-" * 11)[:64], "x", "b563feb7b2b84b6test", "A-_"])
def test_order_uid_of_up_to_64_safe_chars_is_accepted(uid: str) -> None:
    assert parse_order(to_bytes(with_value(("order_uid",), uid))).order_uid == uid


# --- ranges and content ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("items", 0, "price"), "items[0].price"),
        (("items", 0, "total_price"), "items[0].total_price"),
        (("payment", "amount"), "payment.amount"),
        (("payment", "delivery_cost"), "payment.delivery_cost"),
        (("sm_id",), "sm_id"),
    ],
)
def test_negative_numbers_are_rejected(path: tuple, expected: str) -> None:
    found = violations_of(to_bytes(with_value(path, -1)))

    assert list(found) == [expected]
    assert "greater than or equal to 0" in found[expected]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("items", 0, "chrt_id"), "items[0].chrt_id"),
        (("items", 0, "nm_id"), "items[0].nm_id"),
        (("payment", "payment_dt"), "payment.payment_dt"),
    ],
)
def test_integers_beyond_bigint_are_rejected(path: tuple, expected: str) -> None:
    assert list(violations_of(to_bytes(with_value(path, INT64_MAX + 1)))) == [expected]
    assert list(violations_of(to_bytes(with_value(path, 10**30)))) == [expected]


def test_largest_bigint_is_accepted() -> None:
    order = parse_order(to_bytes(with_value(("items", 0, "chrt_id"), 2**63 - 1)))

    assert order.items[0].chrt_id == 2**63 - 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("delivery", "name"), "delivery.name"),
        (("items", 0, "brand"), "items[0].brand"),
        (("track_number",), "track_number"),
    ],
)
def test_nul_character_in_a_string_is_rejected(path: tuple, expected: str) -> None:
    assert list(violations_of(to_bytes(with_value(path, "Test\x00Testov")))) == [expected]


def test_order_without_items_is_rejected() -> None:
    found = violations_of(to_bytes(with_value(("items",), [])))

    assert list(found) == ["items"]
    assert "at least 1" in found["items"]


@pytest.mark.parametrize(
    "value",
    ["2021-11-26T06:22:19", "2021-11-26", "26.11.2021 06:22", "", 1637907739],
    ids=["naive", "date-only", "other-format", "empty", "epoch-int"],
)
def test_unusable_date_created_is_rejected(value: Any) -> None:
    assert list(violations_of(to_bytes(with_value(("date_created",), value)))) == ["date_created"]


def test_naive_date_created_is_rejected_for_lacking_timezone() -> None:
    found = violations_of(to_bytes(with_value(("date_created",), "2021-11-26T06:22:19")))

    assert "timezone" in found["date_created"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+03:00", "9999-12-31T23:59:59-01:00"])
def test_date_that_leaves_the_calendar_in_utc_is_an_invalid_order(value: str) -> None:
    assert list(violations_of(to_bytes(with_value(("date_created",), value)))) == ["date_created"]


# --- money rules ----------------------------------------------------------


def test_goods_total_must_equal_the_sum_of_item_totals() -> None:
    doc = sample()
    doc["payment"]["goods_total"] = 318
    doc["payment"]["amount"] = 1818  # keep amount consistent: only one rule broken

    found = violations_of(to_bytes(doc))

    assert list(found) == ["payment.goods_total"]
    assert "317" in found["payment.goods_total"] and "318" in found["payment.goods_total"]


def test_goods_total_sums_every_item() -> None:
    doc = sample()
    doc["items"].append(dict(doc["items"][0], chrt_id=1, total_price=100))
    doc["payment"]["goods_total"] = 417
    doc["payment"]["amount"] = 1917

    assert len(parse_order(to_bytes(doc)).items) == 2


def test_amount_must_equal_goods_plus_delivery_plus_fee() -> None:
    doc = sample()
    doc["payment"]["custom_fee"] = 10  # amount stays 1817, should now be 1827

    found = violations_of(to_bytes(doc))

    assert list(found) == ["payment.amount"]
    assert "1827" in found["payment.amount"] and "1817" in found["payment.amount"]


def test_both_money_rules_are_reported_together() -> None:
    doc = sample()
    doc["payment"]["goods_total"] = 1

    assert set(violations_of(to_bytes(doc))) == {"payment.goods_total", "payment.amount"}


# --- not an order at all --------------------------------------------------


@pytest.mark.parametrize("raw", [b"{bad", b"", b'{"order_uid": "x"', b"\xff\xfe"])
def test_invalid_json_is_reported_as_such(raw: bytes) -> None:
    found = violations_of(raw)

    assert list(found) == [""]
    assert found[""].startswith("not valid JSON")


@pytest.mark.parametrize("raw", [b"[]", to_bytes([sample()]), b"null", b'"order"', b"42"])
def test_json_that_is_not_an_object_is_reported_as_such(raw: bytes) -> None:
    assert violations_of(raw) == {"": "expected a JSON object with the order's fields"}


def test_reason_of_whole_document_problem_has_no_path_prefix() -> None:
    with pytest.raises(InvalidOrder) as caught:
        parse_order(b"null")

    assert caught.value.reason == "expected a JSON object with the order's fields"
    assert str(caught.value) == caught.value.reason


# --- many problems at once ------------------------------------------------


def test_every_violation_is_reported_at_once() -> None:
    doc = sample()
    doc["payment"]["amount"] = "1817"
    del doc["delivery"]["email"]
    doc["items"][0]["price"] = -1
    doc["order_uid"] = "bad uid!"

    with pytest.raises(InvalidOrder) as caught:
        parse_order(to_bytes(doc))

    paths = [v.path for v in caught.value.violations]
    assert sorted(paths) == sorted(["payment.amount", "delivery.email", "items[0].price", "order_uid"])
    reason = caught.value.reason
    assert reason.count("; ") == 3
    assert "delivery.email: Field required" in reason
    for path in paths:
        assert f"{path}: " in reason
