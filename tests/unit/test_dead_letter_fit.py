"""A dead letter is cut to what NATS and JetStream take, and says what it left out.

The sizes are nats-py's header encoding (``nats_message_size``); that the server takes
exactly those sizes is proven against real servers in tests/integration/test_nats_size_limits.py.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from app.adapters.jetstream_dead_letter_fit import TRUNCATED_HEADER, fitted
from app.adapters.nats_message_size import HEADER_LIMIT, fits, header_size, message_size

ADDED = {
    "Orders-Error": "invalid: items[0].price must be an integer",
    "Orders-Error-Kind": "invalid",
    "Orders-Stream-Sequence": "42",
    "Orders-Subject": "orders.new",
    "Orders-Deliveries": "1",
    "Nats-Msg-Id": "ORDERS:42:0123456789abcdef",
}
names = st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True)
originals = st.dictionaries(names, st.text("abcxyz", max_size=70_000), max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(0, 1_100_000),
    original=originals,
    max_payload=st.sampled_from([4096, 65536, 1024 * 1024, 8 * 1024 * 1024]),
)
def test_a_letter_always_fits_and_keeps_what_it_can(size: int, original: dict[str, str], max_payload: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)

    letter = fitted(data, original, ADDED, max_payload)

    assert fits(letter.data, letter.headers, max_payload)
    assert all(letter.headers[key] == value for key, value in ADDED.items())
    assert data.startswith(letter.data)
    kept = [key for key in original if key in letter.headers]
    assert all(letter.headers[key] == original[key] for key in kept)
    if TRUNCATED_HEADER not in letter.headers:
        assert letter.data == data and kept == list(original)
    else:
        note = letter.headers[TRUNCATED_HEADER]
        assert ("data cut to its first" in note) == (letter.data != data)
        assert ("of the original's headers left out" in note) == (kept != list(original))


def test_a_letter_that_fits_is_the_original_with_the_added_headers() -> None:
    letter = fitted(b"{bad", {"X-Trace": "t1"}, ADDED, 1024 * 1024)

    assert letter.data == b"{bad" and letter.headers == {**ADDED, "X-Trace": "t1"}


def test_sizes_are_those_of_nats_py_header_block() -> None:
    assert header_size(None) == 0
    assert header_size({}) == len(b"NATS/1.0\r\n\r\n")
    assert header_size({"Nats-Msg-Id": " abc "}) == len(b"NATS/1.0\r\nNats-Msg-Id: abc\r\n\r\n")
    assert message_size(b"12345", {"K": "v"}) == len(b"NATS/1.0\r\nK: v\r\n\r\n") + 5


def test_what_fits_is_within_both_limits() -> None:
    assert fits(b"x" * 82, {"K": "v"}, 100) and not fits(b"x" * 83, {"K": "v"}, 100)
    just = {"K": "v" * (HEADER_LIMIT - len(b"NATS/1.0\r\nK: \r\n\r\n"))}
    assert header_size(just) == HEADER_LIMIT
    assert fits(b"", just, 10**7) and not fits(b"", {"K": just["K"] + "v"}, 10**7)
