"""The fast decoder against the pydantic model generated from the same Structs: whatever it accepts,
the model accepts, with the same bytes."""

import copy
import json

import pytest

from app.domain.model import order_model
from app.domain.order_codec import NotDecodable, decode, encode
from app.domain.validation import InvalidOrder, parse_order

ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1.0,
    1.5,
    1e3,
    2**63 - 1,
    2**63,
    -(2**63),
    "",
    "7",
    "x\n",
    "\u00e9\u4e2d",
    "a\u0000b",
    "\U0001f600",
    [],
    [1],
    {},
    {"a": 1},
]
TIMES = [
    "2021-11-26T06:22:19Z",
    "2021-11-26T06:22:19+03:00",
    "2021-11-26T06:22:19-00:00",
    "2021-11-26T06:22:19.123456Z",
    "2021-11-26T06:22:19.1234567Z",
    "2021-11-26T06:22:19.1Z",
    "2021-11-26 06:22:19Z",
    "2021-11-26t06:22:19z",
    "2021-11-26T06:22:19",
    "2021-11-26T06:22Z",
    "2021-11-26",
    "2021-11-26T24:00:00Z",
    "2021-11-26T23:59:60Z",
    "2021-02-29T00:00:00Z",
    "0001-01-01T00:00:00+03:00",
    "9999-12-31T23:59:59-03:00",
    "2021-11-26T06:22:19+0300",
    "2021-11-26T06:22:19+03",
    "2021-11-26T06:22:19.Z",
    "20211126T062219Z",
    " 2021-11-26T06:22:19Z",
    "2021-11-26T06:22:19Z ",
    1637907739,
    1637907739.5,
]
ESCAPED_FRACTIONS = [
    b"\\u002e1234567",
    b"\\u002E1234567",
    b".\\u00312345678",
    b".123456\\u0037",
    b".\\u0031",
    b"\\u002e123456",
]
UIDS = [
    "b563feb7b2b84b6test",
    "a" * 64,
    "a" * 65,
    "-" * 64,
    "_" * 65,
    "",
    "ab c",
    "abc\n",
    "\nabc",
    "\u00e9t\u00e9",
    "A-_9",
    "\u0661\u0662",
    "stra\u00dfe",
    "ab\u00b2",
    "a.b",
    "a+b",
]


def leaves(value, path=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from leaves(inner, (*path, index))
    yield path


def replaced(document: dict, path: tuple, value) -> dict:
    other = copy.deepcopy(document)
    if not path:
        return value
    target = other
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return other


def without(document: dict, path: tuple) -> dict:
    other = copy.deepcopy(document)
    target = other
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return other


def variants(sample: dict):
    dump = lambda d: json.dumps(d, ensure_ascii=False).encode()  # noqa: E731
    for path in leaves(sample):
        for value in ODD_VALUES:
            yield dump(replaced(sample, path, value))
        if path and not isinstance(path[-1], int):
            yield dump(without(sample, path))
    for time in TIMES:
        yield dump(replaced(sample, ("date_created",), time))
    for uid in UIDS:
        yield dump(replaced(sample, ("order_uid",), uid))
    yield dump({**sample, "unknown": {"deep": [1, 2]}})
    yield dump(replaced(sample, ("items",), sample["items"] * 3))
    yield dump(sample).replace(b'"entry": "WBIL"', b'"entry": "WBIL", "entry": "OTHER"')
    yield dump(sample).replace(b'"entry": "WBIL"', b'"entry": "W\\u0000IL"')
    yield dump(sample).replace(b'"entry": "WBIL"', b'"entry": "W\\ud800IL"')
    yield dump(sample).replace(b'"entry": "WBIL"', b'"entry": "W\\/IL\\t"')
    for fraction in ESCAPED_FRACTIONS:  # the same time, its dot or digits written as \u escapes
        yield dump(replaced(sample, ("date_created",), "@")).replace(b'"@"', b'"2021-11-26T06:22:19' + fraction + b'Z"')
    yield b"\xef\xbb\xbf" + dump(sample)
    yield dump(sample) + b" "
    yield dump(sample) + b" {}"
    yield b"  \n" + dump(sample)
    yield b"[" + dump(sample) + b"]"
    yield b"not json"
    yield b""


def model_verdict(raw: bytes) -> bytes | None:
    try:
        return order_model().model_validate_json(raw).model_dump_json().encode()
    except ValueError:
        return None


def test_whatever_the_fast_decoder_accepts_the_model_accepts_with_the_same_bytes(sample: dict) -> None:
    accepted = rejected = 0
    for raw in variants(sample):
        expected = model_verdict(raw)
        try:
            order = decode(raw)
        except NotDecodable:
            rejected += 1
            continue
        accepted += 1
        assert expected is not None, f"the fast decoder accepted what the model refuses: {raw[:300]!r}"
        assert encode(order) == expected, raw[:300]
    assert accepted > 50 and rejected > 300  # both sides of the comparison were exercised


def test_parse_order_judges_as_the_model_alone_would(sample: dict) -> None:
    for raw in variants(sample):
        expected = model_verdict(raw)
        try:
            got = encode(parse_order(raw))
        except InvalidOrder:
            got = None
        if expected is not None and got is None:  # the money rules may refuse what the types allow
            with pytest.raises(InvalidOrder, match="payment"):
                parse_order(raw)
            continue
        assert got == expected, raw[:300]


def test_a_time_with_an_offset_is_stored_in_utc(sample: dict) -> None:
    raw = json.dumps({**sample, "date_created": "2021-11-26T09:22:19+03:00"}).encode()
    assert b'"date_created":"2021-11-26T06:22:19Z"' in encode(decode(raw))
