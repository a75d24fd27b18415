"""Malformed and hostile messages, by class, each with the one outcome ingest must give it.

A case is either stored (and then served exactly as ``served`` says: in the
canonical form, unknown fields dropped, ``date_created`` in UTC) or
dead-lettered with its kind of reason and a reason naming the field or the
failure. Cases are published in this order: a duplicate or a conflict comes
after the order it repeats. Each case's uid is its own, but where a case is
about the uid itself or repeats another one.
"""

import copy
import json
from dataclasses import dataclass
from typing import Any

from app.domain.model import INT64_MAX
from tests.sample_order import SAMPLE_PATH

_SAMPLE: dict[str, Any] = json.loads(SAMPLE_PATH.read_bytes())


@dataclass(frozen=True)
class Case:
    name: str  # "class: what it is"
    body: bytes
    served: dict[str, Any] | None = None  # stored: what GET /api/orders/{uid} answers
    kind: str | None = None  # dead-lettered: the kind of reason
    reason: str | None = None  # ... and what the reason says (a part of it)
    uid: str | None = None  # the uid the dead letter names (Orders-Order-Uid), if any

    @property
    def stored(self) -> bool:
        return self.served is not None


def order(uid: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_SAMPLE)
    doc["order_uid"] = uid
    doc.update(changes)
    return doc


def put(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``doc`` with the field at ``path`` (``payment.amount``, ``items.0.price``) set; ``...`` removes it."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return doc


def dumps(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def stored(name: str, doc: dict[str, Any], body: bytes | None = None, served: dict[str, Any] | None = None) -> Case:
    return Case(name, dumps(doc) if body is None else body, served=doc if served is None else served)


def refused(name: str, body: bytes | dict[str, Any], reason: str, uid: Any = ..., kind: str = "invalid") -> Case:
    """``uid``: what the dead letter names as its order_uid; by default, for a document, its
    order_uid when that is printable text of 1 to 200 characters, and none for raw bytes."""
    if isinstance(body, dict):
        readable = body.get("order_uid")
        if uid is ...:
            uid = (
                readable if isinstance(readable, str) and 0 < len(readable) <= 200 and readable.isprintable() else None
            )
        body = dumps(body)
    return Case(name, body, kind=kind, reason=reason, uid=None if uid is ... else uid)


def replaced(uid: str, old: bytes, new: bytes) -> bytes:
    """The sample's bytes as the file has them, with ``old`` replaced once (it must be there)."""
    raw = SAMPLE_PATH.read_bytes().replace(b'"b563feb7b2b84b6test",\n  "track', b'"' + uid.encode() + b'",\n  "track')
    assert old in raw, old
    return raw.replace(old, new, 1)


def _money(uid: str, totals: list[int], delivery: int = 0, fee: int = 0) -> dict[str, Any]:
    """An order whose items have these total prices and whose money adds up."""
    item = _SAMPLE["items"][0]
    items = [dict(item, total_price=total, price=total, sale=0) for total in totals]
    goods = sum(totals)
    payment = dict(_SAMPLE["payment"], goods_total=goods, delivery_cost=delivery, custom_fee=fee)
    payment["amount"] = goods + delivery + fee
    return order(uid, items=items, payment=payment)


NOT_JSON = "not valid JSON"
WRONG_INT = "Input should be a valid integer"
WRONG_STR = "Input should be a valid string"
UID_RULE = "order_uid: String should match pattern '^[A-Za-z0-9_-]{1,64}$'"
BASE = order("c-conflict-base", customer_id="first")
MANY_ITEMS = _money("c-many-items", [100 + n for n in range(2500)])
DEEP_150 = order("c-deep-150", x=json.loads("[" * 150 + "]" * 150))
DEEP_250 = order("c-deep-250", x=json.loads("[" * 250 + "]" * 250))

CASES: list[Case] = [
    # JSON syntax
    refused("json: empty message", b"", f"{NOT_JSON} (EOF while parsing a value at line 1 column 0)"),
    refused("json: only whitespace", b" \n\t ", f"{NOT_JSON} (EOF while parsing a value"),
    refused("json: cut short", dumps(order("c-cut"))[:200], f"{NOT_JSON} (EOF while parsing", uid="c-cut"),
    refused(
        "json: trailing comma",
        replaced("c-comma", b'"oof_shard": "1"', b'"oof_shard": "1",'),
        f"{NOT_JSON} (trailing comma",
        uid="c-comma",
    ),
    refused(
        "json: single quotes",
        replaced("c-quotes", b'"entry"', b"'entry'"),
        f"{NOT_JSON} (key must be a string",
        uid="c-quotes",
    ),
    refused(
        "json: a comment",
        b"// an order\n" + dumps(order("c-comment")),
        f"{NOT_JSON} (expected value at line 1 column 1)",
        uid="c-comment",
    ),
    refused("json: two documents", dumps(order("c-two")) + b"{}", f"{NOT_JSON} (trailing characters", uid="c-two"),
    refused("json: plain text", b"hello, orders", f"{NOT_JSON} (expected value at line 1 column 1)"),
    refused(
        "json: an array of an order",
        b"[" + dumps(order("c-array")) + b"]",
        "expected a JSON object with the order's fields",
        uid="c-array",
    ),
    refused("json: null", b"null", "expected a JSON object with the order's fields"),
    refused("json: a string", b'"an order"', "expected a JSON object with the order's fields"),
    refused("json: an empty object", b"{}", "order_uid: Field required; track_number: Field required"),
    stored(
        "json: a repeated key, the last one counts",
        order("c-dup-key-second"),
        replaced("c-dup-key-first", b'"track_number"', b'"order_uid": "c-dup-key-second", "track_number"'),
    ),
    stored("json: trailing whitespace", order("c-trailing-ws"), dumps(order("c-trailing-ws")) + b"\n\r\n\t  "),
    # encodings and Unicode
    refused(
        "encoding: a byte order mark",
        b"\xef\xbb\xbf" + dumps(order("c-bom")),
        f"{NOT_JSON} (expected value at line 1 column 1)",
        uid="c-bom",
    ),
    refused(
        "encoding: UTF-16",
        json.dumps(order("c-utf16")).encode("utf-16"),
        f"{NOT_JSON} (expected value at line 1 column 1)",
    ),
    refused(
        "encoding: a byte that is not UTF-8 in a name",
        replaced("c-bad-byte", b"Mascaras", b"Masc\xffaras"),
        f"{NOT_JSON} (invalid unicode code point",
        uid="c-bad-byte",
    ),
    refused(
        "encoding: a byte that is not UTF-8 in an unknown field",
        dumps(order("c-bad-unknown"))[:-1] + b', "note": "\xff"}',
        f"{NOT_JSON} (invalid unicode code point",
        uid="c-bad-unknown",
    ),
    refused(
        "encoding: an overlong UTF-8 slash",
        replaced("c-overlong", b"Mascaras", b"Masc\xc0\xafaras"),
        f"{NOT_JSON} (invalid unicode code point",
        uid="c-overlong",
    ),
    refused(
        "encoding: a lone high surrogate",
        replaced("c-lone-high", b"Mascaras", b"\\ud800"),
        f"{NOT_JSON} (unexpected end of hex escape",
        uid="c-lone-high",
    ),
    refused(
        "encoding: a lone low surrogate",
        replaced("c-lone-low", b"Mascaras", b"\\udc00x"),
        f"{NOT_JSON} (lone leading surrogate in hex escape",
        uid="c-lone-low",
    ),
    refused(
        "encoding: a raw control character",
        replaced("c-control", b"Mascaras", b"Masc\x01aras"),
        f"{NOT_JSON} (control character (\\u0000-\\u001F) found while parsing a string",
        uid="c-control",
    ),
    refused(
        "encoding: NUL in a name",
        put(order("c-nul"), "delivery.name", "Test\x00Testov"),
        "delivery.name: String should match pattern '^[^\\x00]*$'",
    ),
    stored(
        "encoding: a surrogate pair as escapes",
        put(order("c-pair"), "items.0.name", "💩"),
        replaced("c-pair", b"Mascaras", b"\\ud83d\\udca9"),
    ),
    stored(
        "encoding: Cyrillic, CJK, Arabic, combining marks and a ZWJ",
        put(
            put(order("c-scripts"), "delivery.name", "Тест Тестов 测试 اختبار é👩‍👩‍👧"),
            "delivery.city",
            "Кирьят-Моцкин",
        ),
    ),
    stored("encoding: non-characters U+FFFE and U+FFFF", put(order("c-nonchar"), "delivery.address", "\ufffe\uffff")),
    stored(
        "encoding: an escaped ASCII uid",
        order("c-escaped"),
        replaced("c-escaped", b'"c-escaped"', b'"\\u0063-escaped"'),
    ),
    stored(
        "encoding: escapes for slash, quote and backslash", put(order("c-escapes"), "delivery.address", 'a/b "c" \\d')
    ),
    # nesting and size limits
    refused("nesting: 100,000 arrays", b"[" * 100_000 + b"]" * 100_000, f"{NOT_JSON} (recursion limit exceeded"),
    refused(
        "nesting: 50,000 objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, f"{NOT_JSON} (recursion limit exceeded"
    ),
    refused(
        "nesting: 5,000 objects in an unknown field",
        dumps(order("c-deep-5000"))[:-1] + b', "x": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
        f"{NOT_JSON} (recursion limit exceeded",
        uid="c-deep-5000",
    ),
    stored("nesting: 150 arrays in an unknown field", order("c-deep-150"), dumps(DEEP_150)),
    stored("nesting: 250 arrays in an unknown field, read by the fast decoder", order("c-deep-250"), dumps(DEEP_250)),
    stored("size: 2,500 items", MANY_ITEMS),
    stored("size: a 900 KB unknown field", order("c-big-unknown"), dumps(order("c-big-unknown", note="n" * 900_000))),
    stored("size: a 500 KB name", put(order("c-big-name"), "delivery.name", "N" * 500_000)),
    refused(
        "size: no items",
        order("c-no-items", items=[]),
        "items: List should have at least 1 item after validation, not 0",
    ),
    # numeric edges
    refused(
        "number: an amount with a fraction of zero",
        replaced("c-float", b'"amount": 1817', b'"amount": 1817.0'),
        f"payment.amount: {WRONG_INT}, got 1817.0",
        uid="c-float",
    ),
    refused(
        "number: a fractional amount",
        replaced("c-fraction", b'"amount": 1817', b'"amount": 1817.5'),
        f"payment.amount: {WRONG_INT}, got 1817.5",
        uid="c-fraction",
    ),
    refused(
        "number: an exponent",
        replaced("c-exponent", b'"amount": 1817', b'"amount": 1e3'),
        f"payment.amount: {WRONG_INT}, got 1000.0",
        uid="c-exponent",
    ),
    refused(
        "number: a negative price",
        put(order("c-negative"), "items.0.price", -1),
        "items[0].price: Input should be greater than or equal to 0, got -1",
    ),
    refused(
        "number: 2**63, past bigint",
        put(order("c-2-63"), "sm_id", 2**63),
        f"sm_id: Input should be less than or equal to {INT64_MAX}, got {2**63}",
    ),
    refused(
        "number: 5,000 digits",
        replaced("c-digits", b'"sm_id": 99', b'"sm_id": 1' + b"0" * 5000),
        f"{NOT_JSON} (number out of range",
        uid="c-digits",
    ),
    refused(
        "number: NaN",
        replaced("c-nan", b'"amount": 1817', b'"amount": NaN'),
        f"payment.amount: {WRONG_INT}, got nan",
        uid="c-nan",
    ),
    refused(
        "number: Infinity",
        replaced("c-inf", b'"amount": 1817', b'"amount": Infinity'),
        f"payment.amount: {WRONG_INT}, got inf",
        uid="c-inf",
    ),
    refused(
        "number: 1e400",
        replaced("c-1e400", b'"amount": 1817', b'"amount": 1e400'),
        f"payment.amount: {WRONG_INT}, got inf",
        uid="c-1e400",
    ),
    refused(
        "number: a leading zero",
        replaced("c-zero", b'"amount": 1817', b'"amount": 01817'),
        f"{NOT_JSON} (invalid number",
        uid="c-zero",
    ),
    refused("number: true as a count", put(order("c-true"), "sm_id", True), f"sm_id: {WRONG_INT}, got True"),
    refused(
        "number: a number as a string",
        put(order("c-string-number"), "payment.amount", "1817"),
        f"payment.amount: {WRONG_INT}, got '1817'",
    ),
    stored("number: -0 is 0", order("c-minus-zero", sm_id=0), replaced("c-minus-zero", b'"sm_id": 99', b'"sm_id": -0')),
    stored("number: bigint's largest, adding up", _money("c-int64-max", [INT64_MAX - 1500], delivery=1500)),
    stored(
        "number: bigint's largest as ids",
        put(put(order("c-max-ids"), "items.0.chrt_id", INT64_MAX), "items.0.nm_id", INT64_MAX),
    ),
    stored("number: zero everywhere", _money("c-all-zero", [0, 0, 0])),
    # wrong types and nulls, at every level
    refused("type: order_uid null", order("c-null-uid", order_uid=None), f"order_uid: {WRONG_STR}, got None"),
    refused(
        "type: order_uid a number",
        replaced("c-uid-number", b'"c-uid-number"', b"123"),
        f"order_uid: {WRONG_STR}, got 123",
    ),
    refused(
        "type: delivery null", order("c-null-delivery", delivery=None), "delivery: Input should be an object, got None"
    ),
    refused(
        "type: delivery a list", order("c-list-delivery", delivery=[]), "delivery: Input should be an object, got []"
    ),
    refused(
        "type: payment a string",
        order("c-string-payment", payment="paid"),
        "payment: Input should be an object, got 'paid'",
    ),
    refused("type: items null", order("c-null-items", items=None), "items: Input should be a valid array, got None"),
    refused(
        "type: items an object",
        order("c-object-items", items={"0": _SAMPLE["items"][0]}),
        "items: Input should be a valid array, got {'0': ",
    ),
    refused("type: an item null", order("c-null-item", items=[None]), "items[0]: Input should be an object, got None"),
    refused(
        "type: a price null",
        put(order("c-null-price"), "items.0.price", None),
        f"items[0].price: {WRONG_INT}, got None",
    ),
    refused(
        "type: a name a number", put(order("c-number-name"), "delivery.name", 42), f"delivery.name: {WRONG_STR}, got 42"
    ),
    refused("type: a bank missing", put(order("c-no-bank"), "payment.bank", ...), "payment.bank: Field required"),
    refused("type: delivery missing", put(order("c-no-delivery"), "delivery", ...), "delivery: Field required"),
    refused(
        "type: a field name in other case",
        replaced("c-case", b'"entry"', b'"Entry"'),
        "entry: Field required",
        uid="c-case",
    ),
    refused(
        "type: every field null",
        dict.fromkeys(_SAMPLE),
        f"order_uid: {WRONG_STR}, got None; track_number: {WRONG_STR}, got None",
    ),
    refused("type: date_created null", order("c-null-date", date_created=None), "date_created: must be a string"),
    refused(
        "type: date_created a Unix time",
        order("c-unix-date", date_created=1637907739),
        "date_created: must be a string",
    ),
    # dates
    refused(
        "date: no offset", order("c-naive", date_created="2021-11-26T06:22:19"), "date_created: needs a UTC offset"
    ),
    refused(
        "date: the year 0",
        order("c-year-0", date_created="0000-01-01T00:00:00Z"),
        "date_created: is not an RFC 3339 date-time",
    ),
    refused(
        "date: past 9999 once in UTC",
        order("c-past-9999", date_created="9999-12-31T23:59:59-01:00"),
        "date_created: is outside the years 1 to 9999 once converted to UTC",
    ),
    refused(
        "date: a leap second",
        order("c-leap", date_created="2016-12-31T23:59:60Z"),
        "date_created: is not an RFC 3339 date-time",
    ),
    refused(
        "date: not a date", order("c-not-date", date_created="yesterday"), "date_created: is not an RFC 3339 date-time"
    ),
    stored(
        "date: an offset, served in UTC",
        order("c-offset", date_created="2021-11-26T06:22:19Z"),
        dumps(order("c-offset", date_created="2021-11-26T09:22:19+03:00")),
    ),
    stored(
        "date: nanoseconds, rounded to microseconds",
        order("c-nanos", date_created="2021-11-26T06:22:19.123457Z"),
        dumps(order("c-nanos", date_created="2021-11-26T06:22:19.1234567Z")),
    ),
    stored(
        "date: lower-case t and z",
        order("c-lower-tz", date_created="2021-11-26T06:22:19Z"),
        dumps(order("c-lower-tz", date_created="2021-11-26t06:22:19z")),
    ),
    # the money rules
    refused(
        "money: amount is not the sum",
        put(order("c-bad-amount"), "payment.amount", 1818),
        "payment.amount: must equal goods_total + delivery_cost + custom_fee (1817), got 1818",
    ),
    refused(
        "money: goods_total is not the items' sum",
        put(order("c-bad-goods"), "items.0.total_price", 316),
        "payment.goods_total: must equal the sum of items[].total_price (316), got 317",
    ),
    refused(
        "money: both broken",
        put(put(order("c-both"), "payment.goods_total", 1), "payment.amount", 5),
        "payment.goods_total: must equal the sum of items[].total_price (317), got 1;"
        " payment.amount: must equal goods_total + delivery_cost + custom_fee (1501), got 5",
    ),
    refused(
        "money: items whose sum passes bigint",
        put(
            _money("c-sum-overflow", [INT64_MAX, INT64_MAX]),
            "payment",
            dict(_SAMPLE["payment"], goods_total=INT64_MAX, amount=INT64_MAX, delivery_cost=0, custom_fee=0),
        ),
        f"payment.goods_total: must equal the sum of items[].total_price ({2 * INT64_MAX}), got {INT64_MAX}",
    ),
    # uid edges
    refused("uid: empty", order(""), f"{UID_RULE}, got ''", uid=None),
    refused("uid: 65 characters", order("u" * 65), f"{UID_RULE}, got 'uuuuuuuuu"),
    stored("uid: 64 characters", order("c" * 64)),
    stored("uid: only - and _", order("-_-")),
    refused("uid: a space", order("c space"), f"{UID_RULE}, got 'c space'"),
    refused("uid: Cyrillic letters", order("заказ"), f"{UID_RULE}, got 'заказ'"),
    refused("uid: a path", order("../../etc/passwd"), f"{UID_RULE}, got '../../etc/passwd'"),
    refused("uid: a trailing newline", order("c-newline\n"), f"{UID_RULE}, got 'c-newline\\n'", uid=None),
    # conflicts and repeats
    stored("repeat: the first version", BASE),
    stored("repeat: the same order again", BASE),
    stored(
        "repeat: the same order pretty-printed, keys sorted", BASE, json.dumps(BASE, indent=4, sort_keys=True).encode()
    ),
    stored("repeat: the same order with an unknown field", BASE, dumps(dict(BASE, note="ignored"))),
    stored(
        "repeat: the same instant at another offset", BASE, dumps(dict(BASE, date_created="2021-11-26T07:22:19+01:00"))
    ),
    refused(
        "conflict: another customer",
        dict(BASE, customer_id="second"),
        "conflict: order_uid c-conflict-base is already stored with different content",
        kind="conflict",
    ),
    refused(
        "conflict: the items in another order",
        dict(MANY_ITEMS, items=MANY_ITEMS["items"][::-1]),
        "conflict: order_uid c-many-items is already stored with different content",
        kind="conflict",
    ),
    refused(
        "conflict: a repeated key that changes the customer",
        replaced("c-conflict-base", b'"customer_id": "test"', b'"customer_id": "first", "customer_id": "third"'),
        "conflict: order_uid c-conflict-base",
        kind="conflict",
        uid="c-conflict-base",
    ),
    # unknown fields
    stored(
        "unknown: a top-level field",
        order("c-unknown-top"),
        dumps(order("c-unknown-top", extra={"a": [1, 2, {"b": None}]})),
    ),
    stored(
        "unknown: a field in delivery and in an item",
        order("c-unknown-nested"),
        dumps(put(put(order("c-unknown-nested"), "delivery.floor", 3), "items.0.colour", "red")),
    ),
]
