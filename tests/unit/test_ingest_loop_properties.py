"""Property test: whatever the messages, the ingest loop stores or dead-letters each one and lives on.

Hypothesis mutates the sample order (values retyped, replaced, removed or added
anywhere, bytes broken, cut, nested deep, numbers made huge) and mixes in valid
orders under shared uids, so that repeats and conflicts come up, and uids the
fake storage refuses or fails on; batches of them go through the loop as the
container wires it, over fakes. A message naked for a retry is delivered
again, as the stream would. Each one must end acked (its order
stored, as first seen for its uid) or terminated after exactly one dead letter
with a kind and a reason, and the loop must still be running, never restarted.
"""

import asyncio
import json
from collections.abc import Sequence

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.domain.rejections import REASON_KINDS
from app.service_layer.ingest_loop import IngestLoop
from tests.unit.fake_container import Fakes, fake_container
from tests.unit.fakes import FakeMessage, wait_until
from tests.unit.sample import sample
from tests.unit.test_order_codec_properties import mutated

NORMAL_UIDS = ["b563feb7b2b84b6test", "shared-1"]
REFUSED, FAILING = "refused-by-storage", "failing-in-storage"  # the fake repository's two troubles
UIDS = [*NORMAL_UIDS, REFUSED, FAILING]


@st.composite
def hostile(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 2)) == 0:  # a valid order under a shared uid: stored, a repeat or a conflict
        doc = sample()
        doc["order_uid"] = draw(st.sampled_from(UIDS))
        doc["customer_id"] = draw(st.sampled_from(["first", "second"]))
        raw = json.dumps(doc).encode()
    else:
        raw = draw(mutated())
        if draw(st.booleans()):
            raw = raw.replace(b'"b563feb7b2b84b6test"', b'"' + draw(st.sampled_from(UIDS)).encode() + b'"', 1)
    twist = draw(st.sampled_from(["none", "none", "none", "cut", "insert", "nest", "huge", "wrap"]))
    at = draw(st.integers(0, len(raw)))
    if twist == "cut":
        raw = raw[:at]
    elif twist == "insert":
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    elif twist == "nest":  # arrays or objects, within the model's limit or past Python's recursion limit
        depth = draw(st.sampled_from([10, 199, 201, 1000, 20_000]))
        opening, closing = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        raw = raw[:-1] + b', "deep": ' + opening * depth + b"0" * (opening != b"[") + closing * depth + b"}"
    elif twist == "huge":
        raw = raw.replace(b"1817", b"9" * draw(st.sampled_from([19, 20, 400, 5000])), 1)
    elif twist == "wrap":
        raw = b'{"order": ' + raw + b"}"
    return raw


def settle(fakes: Fakes, messages: Sequence[FakeMessage]) -> list[list[FakeMessage]]:
    """Run the loop over ``messages`` until each one's last delivery is acked or terminated;
    every delivery of each message, in order."""

    async def scenario() -> list[list[FakeMessage]]:
        loop: IngestLoop = fake_container(fakes, ingest_batch_size=7, ingest_fetch_seconds=0.005).ingest_loop()
        task = asyncio.create_task(loop.run())
        deliveries = [[message] for message in messages]
        fakes.source.queue.extend([message] for message in messages)
        while True:
            await wait_until(lambda: all(each[-1].calls for each in deliveries), timeout=5)
            naked = [each for each in deliveries if each[-1].calls[-1][0] == "nak"]
            if not naked:
                break
            for each in naked:  # the stream delivers it again
                last = each[-1]
                each.append(FakeMessage(last.data, stream_sequence=last.stream_sequence))
                each[-1].delivery_attempt = last.delivery_attempt + 1
                fakes.source.queue.append([each[-1]])
        assert not task.done() and loop.running and loop.restarts == 0
        loop.stop()
        await asyncio.wait_for(task, 2)
        return deliveries

    return asyncio.run(scenario())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(hostile(), min_size=1, max_size=12))
def test_every_message_ends_stored_or_dead_lettered_and_the_loop_lives_on(bodies: list[bytes]) -> None:
    fakes = Fakes()
    fakes.source.idle_wait = 0.001
    fakes.repository.unstorable = {REFUSED}
    fakes.repository.failing = {FAILING: RuntimeError("a bug in storage")}
    messages = [FakeMessage(body, stream_sequence=n) for n, body in enumerate(bodies, start=1)]

    deliveries = settle(fakes, messages)

    letters, stored = fakes.dead_letters, fakes.repository.orders
    acked_uids = set()
    for each in deliveries:
        *earlier, last = each
        assert all(d.calls == [("nak", d.nak_delays[0])] for d in earlier), "only a retry comes before the last"
        dead = [letter for letter, _ in letters.letters if letter is last]
        if last.calls == [("ack",)]:
            acked_uids.add(json.loads(last.data)["order_uid"])
            assert not dead
            event("acked")
        else:
            assert last.calls == [("term",)] and len(dead) == 1
            event(f"dead-lettered: {letters.kind_for(last)}")
    assert all(kind in REASON_KINDS for kind in letters.kinds) and all(reason for _, reason in letters.letters)
    assert len(letters.letters) == sum(each[-1].calls == [("term",)] for each in deliveries)
    assert set(stored) == acked_uids, "what is acked is stored, and nothing else"
