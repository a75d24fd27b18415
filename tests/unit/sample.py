"""The canonical sample order, and small helpers to make variants of it."""

import copy
import json
from typing import Any

from app.domain.document import SerializedOrder, serialize
from app.domain.validation import parse_order
from tests.sample_order import SAMPLE_PATH

_SAMPLE: dict[str, Any] = json.loads(SAMPLE_PATH.read_bytes())


def sample() -> dict[str, Any]:
    """A fresh deep copy of the sample order, safe to modify."""
    return copy.deepcopy(_SAMPLE)


def order_doc(uid: str | None = None, **changes: Any) -> dict[str, Any]:
    """The sample with another order_uid and/or other top-level fields."""
    doc = sample()
    if uid is not None:
        doc["order_uid"] = uid
    doc.update(changes)
    return doc


def to_bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def serialized(doc: dict[str, Any]) -> SerializedOrder:
    """What the service would store for this document."""
    return serialize(parse_order(to_bytes(doc)))
