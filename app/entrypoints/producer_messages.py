"""What ``orders produce`` publishes: generated orders, or orders read from files.

Each message is ``(body, Nats-Msg-Id or None)``; the id is the order_uid when
the body is a JSON object that has a usable one.
"""

import random
import sys
from collections import deque
from collections.abc import Iterator

import orjson

from app.domain.order_factory import OrderFactory

Message = tuple[bytes, str | None]  # (body, Nats-Msg-Id or None)
_RECENT = 1000  # duplicates re-send one of the latest valid orders (the stream's dedupe window is short)


def generated_messages(
    count: int,
    invalid_ratio: float = 0.0,
    duplicate_ratio: float = 0.0,
    seed: int | None = None,
) -> Iterator[Message]:
    """``count`` messages: fresh valid orders, invalid ones, and exact re-sends of recent valid ones."""
    rng = random.Random(seed)
    factory = OrderFactory(None if seed is None else rng.randrange(2**32))
    recent: deque[Message] = deque(maxlen=_RECENT)
    for _ in range(count):
        roll = rng.random()
        if roll < invalid_ratio:
            body = factory.invalid_message()
            yield body, read_msg_id(body)
        elif roll < invalid_ratio + duplicate_ratio and recent:
            yield rng.choice(recent)
        else:
            order = factory.order()
            recent.append((orjson.dumps(order), order["order_uid"]))
            yield recent[-1]


def file_messages(paths: list[str]) -> Iterator[Message]:
    """Messages from files ('-' = stdin): one JSON object, a JSON array of them, or JSON Lines.

    An object or a line is published byte for byte, array elements re-serialized.
    Anything else is published whole, as it is: the service dead-letters it.
    """
    for path in paths:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as file:
                data = file.read()
        yield from _split(data)


def _split(data: bytes) -> Iterator[Message]:
    value = _loads(data)
    if isinstance(value, list):
        yield from ((orjson.dumps(element), _uid_of(element)) for element in value)
    elif value is not _NOT_JSON:
        yield data, _uid_of(value)
    elif lines := [line.strip() for line in data.splitlines() if line.strip()]:
        if len(lines) > 1 and _loads(lines[0]) is not _NOT_JSON:  # JSON Lines
            yield from ((line, read_msg_id(line)) for line in lines)
        else:
            yield data, None


_NOT_JSON = object()


def _loads(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def read_msg_id(body: bytes) -> str | None:
    """The order_uid of a JSON object message, if it has one usable as a message id."""
    return _uid_of(_loads(body))


def _uid_of(value: object) -> str | None:
    uid = value.get("order_uid") if isinstance(value, dict) else None
    # A header value cannot be empty or carry line breaks and other control characters.
    return uid if isinstance(uid, str) and uid and uid.isprintable() else None
