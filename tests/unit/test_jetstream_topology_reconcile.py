"""What the topology changes on a stream that exists: only what the service needs, never lower."""

import pytest
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from app.adapters.jetstream_topology import (
    JetStreamNames,
    StreamLimits,
    reconciled,
    subject_matches,
    wanted_stream,
)

NAMES = JetStreamNames(replicas=3, duplicate_window=120, limits=StreamLimits(max_age=600, max_bytes=2**30))
WANTED = wanted_stream("ORDERS", "orders.new", NAMES, NAMES.limits)


def operator_stream(**changes: object) -> StreamConfig:
    values: dict = {
        "name": "ORDERS",
        "subjects": ["orders.new"],
        "storage": StorageType.FILE,
        "retention": RetentionPolicy.LIMITS,
        "num_replicas": 3,
        "duplicate_window": 300.0,
        "max_age": 3600.0,
        "max_bytes": 5 * 2**30,
        "discard": DiscardPolicy.OLD,
        "max_msgs": 1_000_000,
    }
    return StreamConfig(**{**values, **changes})


def test_a_new_stream_has_the_settings_and_refuses_rather_than_drops_when_full() -> None:
    assert (WANTED.num_replicas, WANTED.max_age, WANTED.max_bytes) == (3, 600, 2**30)
    assert WANTED.discard == DiscardPolicy.NEW and WANTED.storage == StorageType.FILE


def test_a_stream_that_satisfies_the_service_is_not_updated() -> None:
    assert reconciled(operator_stream(), WANTED) is None
    assert reconciled(operator_stream(num_replicas=5), WANTED) is None, "more replicas are fine"


def test_replicas_and_the_duplicate_window_are_raised_never_lowered() -> None:
    update = reconciled(operator_stream(num_replicas=1, duplicate_window=10.0), WANTED)
    assert update is not None
    assert (update.num_replicas, update.duplicate_window) == (3, 120)
    assert (update.max_age, update.max_bytes, update.max_msgs) == (3600.0, 5 * 2**30, 1_000_000), "limits kept"
    assert update.discard == DiscardPolicy.OLD, "the operator's discard policy is kept"


@pytest.mark.parametrize("none", [0, -1, None])
def test_limits_are_set_only_where_the_stream_has_none(none: int | None) -> None:
    update = reconciled(operator_stream(max_age=0.0, max_bytes=none), WANTED)
    assert update is not None and (update.max_age, update.max_bytes) == (600, 2**30)
    assert (
        reconciled(operator_stream(max_age=0.0), wanted_stream("ORDERS", "orders.new", NAMES, StreamLimits())) is None
    )


def test_our_subject_is_added_unless_a_subject_of_the_stream_takes_it() -> None:
    update = reconciled(operator_stream(subjects=["legacy.orders"]), WANTED)
    assert update is not None and update.subjects == ["legacy.orders", "orders.new"]
    assert reconciled(operator_stream(subjects=["orders.>"]), WANTED) is None
    assert reconciled(operator_stream(subjects=["*.new"]), WANTED) is None


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("orders.new", "orders.new", True),
        ("orders.*", "orders.new", True),
        ("orders.>", "orders.new.eu", True),
        (">", "orders", True),
        ("orders.>", "orders", False),
        ("orders.*", "orders.new.eu", False),
        ("orders.new", "orders.newer", False),
        ("orders.new.eu", "orders.new", False),
    ],
)
def test_subject_matching_follows_nats_wildcards(pattern: str, subject: str, matches: bool) -> None:
    assert subject_matches(pattern, subject) is matches


def test_a_size_limit_is_not_set_on_a_stream_that_would_be_full_at_once() -> None:
    unlimited = operator_stream(max_bytes=-1)
    assert reconciled(unlimited, WANTED, stored_bytes=2**30 // 2) is not None, "room left: the limit is set"
    assert reconciled(unlimited, WANTED, stored_bytes=2**30) is None, "it would refuse every publish at once"
