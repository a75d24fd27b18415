"""Use case: an order sent over HTTP goes to the stream the service ingests from."""

from dataclasses import dataclass
from enum import Enum

from app.domain.document import serialize
from app.domain.validation import parse_order
from app.ports.order_publisher import OrderPublisher
from app.service_layer.order_arrivals import OrderArrivals
from app.service_layer.order_lookup import OrderLookup


class Verdict(Enum):
    ACCEPTED = "accepted"  # in the stream; stored shortly
    STORED = "stored"  # stored (only when asked to wait)
    CONFLICT = "conflict"  # stored before with other content; the first version stays


@dataclass(frozen=True)
class Submission:
    order_uid: str
    verdict: Verdict
    stored_json: bytes | None = None  # with STORED: the order as it is served


class SubmitOrder:
    """Validate like ingest does, refuse a conflict early, publish the bytes as sent.

    The order is published with its order_uid as the message id, so the stream drops
    a re-sent one. With ``wait``, answers once the order is stored (or the wait ends).
    """

    def __init__(self, publisher: OrderPublisher, lookup: OrderLookup, arrivals: OrderArrivals) -> None:
        self._publisher = publisher
        self._lookup = lookup
        self._arrivals = arrivals

    async def __call__(self, raw: bytes, wait: float | None = None) -> Submission:
        """May raise InvalidOrder, PublishFailed."""
        submitted = serialize(parse_order(raw))
        uid = submitted.uid
        with self._arrivals.expect(uid) as arrival:
            stored = await self._lookup.stored_version(uid)
            if stored is not None and stored != submitted.json:
                return Submission(uid, Verdict.CONFLICT)
            await self._publisher.publish(raw, uid)
            if wait is None:
                return Submission(uid, Verdict.ACCEPTED)
            stored = stored or await arrival.wait(wait) or await self._lookup.stored_version(uid)
        if stored is None:
            return Submission(uid, Verdict.ACCEPTED)
        if stored != submitted.json:
            return Submission(uid, Verdict.CONFLICT)
        return Submission(uid, Verdict.STORED, stored)
