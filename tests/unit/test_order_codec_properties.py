"""Property tests: the fast decoder and the pydantic model generated from the same Structs
agree on any mutation of the sample order (a check of the generation, not of two declarations).

Hypothesis replaces, deletes or adds values anywhere in the sample, and flips
bytes of its JSON. Whatever the fast decoder accepts, the model accepts with the
same canonical bytes; and ``parse_order`` judges exactly as the model and the
money rules do.
"""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.model import money_violations, order_model
from app.domain.order_codec import NotDecodable, decode, encode, from_dict
from app.domain.validation import InvalidOrder, parse_order
from tests.unit.sample import sample

Json = Any
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=70)
    | st.sampled_from(["2021-11-26T06:22:19Z", "2021-11-26T06:22:19.123456789+03:00", "0001-01-01T00:00:00Z",
                       "9999-12-31T23:59:59.9999999Z", "2021-11-26t06:22:19z", "2021-11-26 06:22:19-00:00",
                       "2021-13-01T00:00:00Z", "b563feb7b2b84b6test", "", "a\x00b", "-1", "1817"])
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def paths(value: Json, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*path, index))
    return found


ALL_PATHS = paths(sample())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    document: Json = sample()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        action = draw(st.sampled_from(["retype", "retype", "replace", "delete", "add"]))
        value = draw(_like(_at(document, path)) if action == "retype" else VALUES)
        document = _mutate(
            document, path, "replace" if action == "retype" else action, value, draw(st.text(max_size=8))
        )
    raw = json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # and now and then a broken byte, or an escape that spells no character
        at = draw(st.integers(0, len(raw) - 1))
        broken = draw(st.sampled_from([b"\\ud800", b"\\udfff", b"\\u00", b"\\x41"]) | st.binary(min_size=1, max_size=1))
        raw = raw[:at] + broken + raw[at + 1 :]
    return raw


def _at(document: Json, path: tuple[Any, ...]) -> Json:
    for part in path:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def _like(value: Json) -> st.SearchStrategy[Json]:
    """Another value of the same JSON type: what a valid order is most likely made of."""
    if isinstance(value, bool) or value is None:
        return VALUES
    if isinstance(value, int):
        return st.integers(min_value=-3, max_value=2**63 + 3)
    if isinstance(value, str):
        return st.text(max_size=70)
    return VALUES


def _mutate(document: Json, path: tuple[Any, ...], action: str, value: Json, key: str) -> Json:
    if not path:
        return value if action == "replace" else document
    parent = document
    for part in path[:-1]:
        if not isinstance(parent, (dict, list)):
            return document
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return document
    last = path[-1]
    try:
        if action == "replace":
            parent[last] = value
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[key] = value
        elif isinstance(parent, list):
            parent.append(value)
    except (KeyError, IndexError, TypeError):
        pass
    return document


def model_bytes(raw: bytes) -> bytes | None:
    """The canonical bytes of what the pydantic model makes of ``raw`` (None: it refuses)."""
    try:
        return encode(from_dict(order_model().model_validate_json(raw).model_dump()))
    except ValueError:
        return None


PROPERTY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@PROPERTY
@given(mutated())
def test_what_the_fast_decoder_accepts_the_model_accepts_with_the_same_bytes(raw: bytes) -> None:
    try:
        fast = encode(decode(raw))
    except NotDecodable:
        return
    assert model_bytes(raw) == fast


@PROPERTY
@given(mutated())
def test_parse_order_accepts_exactly_what_the_model_and_the_money_rules_accept(raw: bytes) -> None:
    expected = model_bytes(raw)
    if expected is not None:
        order = from_dict(order_model().model_validate_json(raw).model_dump())
        if money_violations(order.payment, [item.total_price for item in order.items]):
            expected = None
    try:
        got: bytes | None = encode(parse_order(raw))
    except InvalidOrder:
        got = None
    assert got == expected
