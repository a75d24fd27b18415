"""Orders as the ingest path hands them to the repository, for the storage tests."""

import json
import random
import string
from datetime import UTC, datetime

from app.domain.document import SerializedOrder, serialize
from app.domain.order_factory import OrderFactory
from app.domain.validation import parse_order

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def ser(document: dict) -> SerializedOrder:
    """The order as the ingest path makes it: JSON bytes → parse_order → serialize."""
    return serialize(parse_order(json.dumps(document, ensure_ascii=False).encode()))


def generated(count: int, seed: int) -> list[dict]:
    factory = OrderFactory(seed, now=NOW)
    return [factory.order() for _ in range(count)]


def incompressible(length: int) -> str:
    """Text PostgreSQL cannot compress below the btree row limit (2704 bytes)."""
    rng = random.Random(7)
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))
