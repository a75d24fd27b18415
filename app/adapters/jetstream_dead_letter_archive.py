"""DeadLetterArchive over the ``ORDERS_DLQ`` JetStream stream (nats-py).

Listing reads the stream through a short-lived consumer of its own that
delivers headers only (no acks, in memory, removed afterwards and by the server
once idle), so thousands of dead letters cost one pass and little memory; the
letters to replay are read with their bytes the same way (``letters_in``), and one
letter alone by sequence. A replay publishes the original bytes
and headers to the ingest subject with a message id of its own,
``replay:<stream>:<sequence>:<digest>``: the original's id may still be inside
the ingest stream's duplicate window, which would drop the replay unseen.

A replayed letter is removed without erasing its bytes (``no_erase``, through the
JetStream API itself: nats-py's ``delete_msg`` always erases): its copy lives on in
the ingest stream, and erasing overwrites the bytes on disk, one letter at a time,
at about 200 letters a second here against 21,000 without. A purge still erases.
"""

import contextlib
import hashlib
from collections.abc import AsyncIterator, Collection, Mapping
from datetime import UTC, datetime

import nats.errors
import nats.js.errors
import orjson
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DEFAULT_PREFIX, AckPolicy, ConsumerConfig, DeliverPolicy

from app.adapters.jetstream_dead_letter_fit import TRUNCATED_HEADER
from app.adapters.jetstream_dead_letter_sink import (
    DEAD_LETTER_HEADERS,
    DELIVERIES_HEADER,
    ERROR_HEADER,
    KIND_HEADER,
    UID_HEADER,
)
from app.adapters.nats_message_size import fits, message_size
from app.ports.dead_letter_archive import ArchiveUnavailable, DeadLetter, ReplayNotAcknowledged

REPLAY_OF_HEADER = "Orders-Replay-Of"  # on a replayed message: the dead letter it came from
_BATCH = 500
_SCATTERED = 4  # letters_in reads one by one when fewer than one in this many of its span are wanted
# JetStream's error codes for "no message found": 10057 on an erasing delete, 10043 without erasing
_NO_MESSAGE = (10037, 10057, 10043)
_NATS_ERRORS = (nats.errors.Error, TimeoutError)  # nats.errors.Error covers nats.js.errors.*


class JetStreamDeadLetterArchive:
    """Reads, replays and removes the dead letters of ``stream``; replays go to ``ingest_subject``."""

    def __init__(
        self, js: JetStreamContext, stream: str, ingest_subject: str, timeout: float = 5.0, nc: NATS | None = None
    ) -> None:
        """``nc``, the connection of ``js``, lets removals skip erasing; without it they always erase."""
        self._js = js
        self._nc = nc
        self._stream = stream
        self._ingest_subject = ingest_subject
        self._timeout = timeout

    async def letters(self, since: datetime | None = None, newest: int | None = None) -> AsyncIterator[DeadLetter]:
        config = _reading(headers_only=True)
        try:
            state = (await self._js.stream_info(self._stream)).state
            if not state.messages:
                return
            if since is not None:
                config.deliver_policy, config.opt_start_time = DeliverPolicy.BY_START_TIME, since
            elif newest is not None:
                config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
                config.opt_start_seq = max(state.first_seq, state.last_seq - newest + 1)
        except nats.js.errors.NotFoundError:
            return  # no dead-letter stream yet: no dead letters
        except _NATS_ERRORS as error:
            raise ArchiveUnavailable(_describe(error)) from error
        async for letter in self._read(config):
            yield letter

    async def letters_in(self, sequences: Collection[int]) -> AsyncIterator[DeadLetter]:
        wanted = set(sequences)
        if not wanted:
            return
        first, last = min(wanted), max(wanted)
        if len(wanted) * _SCATTERED < last - first + 1:  # a few letters far apart: one read each
            for sequence in sorted(wanted):
                if (found := await self.letter(sequence)) is not None:
                    yield found
            return
        config = _reading(headers_only=False)
        config.deliver_policy, config.opt_start_seq = DeliverPolicy.BY_START_SEQUENCE, first
        async for letter in self._read(config, last):
            if letter.sequence in wanted:
                yield letter

    async def _read(self, config: ConsumerConfig, last: int | None = None) -> AsyncIterator[DeadLetter]:
        """The letters a short-lived consumer of ``config`` delivers, up to sequence ``last`` if given."""
        try:
            consumer = await self._js.add_consumer(self._stream, config)
        except nats.js.errors.NotFoundError:
            return
        except _NATS_ERRORS as error:
            raise ArchiveUnavailable(_describe(error)) from error
        try:
            subscription = await self._js.pull_subscribe_bind(consumer=consumer.name, stream=self._stream)
            try:
                remaining = consumer.num_pending or 0
                while remaining:
                    for message in await subscription.fetch(min(_BATCH, remaining), timeout=self._timeout):
                        sequence = message.metadata.sequence.stream
                        data = None if config.headers_only else message.data
                        yield _letter(sequence, message.metadata.timestamp, message.headers, data)
                        remaining = 0 if last is not None and sequence >= last else message.metadata.num_pending
                        if not remaining:
                            break
            finally:
                await subscription.unsubscribe()
        except _NATS_ERRORS as error:
            raise ArchiveUnavailable(_describe(error)) from error
        finally:
            await self._forget(consumer.name)

    async def total(self) -> int:
        try:
            return (await self._js.stream_info(self._stream)).state.messages
        except nats.js.errors.NotFoundError:
            return 0
        except _NATS_ERRORS as error:
            raise ArchiveUnavailable(_describe(error)) from error

    async def letter(self, sequence: int) -> DeadLetter | None:
        try:
            raw = await self._js.get_msg(self._stream, sequence)
        except nats.js.errors.NotFoundError:
            return None
        except _NATS_ERRORS as error:
            raise ArchiveUnavailable(_describe(error)) from error
        data = raw.data or b""
        return _letter(sequence, raw.time or datetime.now(UTC), raw.headers, data)

    async def replay(self, letter: DeadLetter) -> str:
        if letter.data is None:
            raise ValueError("replay needs the letter with its bytes (from letter())")
        if TRUNCATED_HEADER in letter.headers:  # replaying the cut copy would only dead-letter it again
            raise ReplayNotAcknowledged(f"not the whole message: {letter.headers[TRUNCATED_HEADER]}")
        headers = {k: v for k, v in letter.headers.items() if not (k in DEAD_LETTER_HEADERS or k.startswith("Nats-"))}
        digest = hashlib.blake2b(letter.data, digest_size=8).hexdigest()
        replay_id = f"replay:{self._stream}:{letter.sequence}:{digest}"
        headers[REPLAY_OF_HEADER] = f"{self._stream}:{letter.sequence}"
        headers["Nats-Msg-Id"] = replay_id
        if self._nc is not None and not fits(letter.data, headers, self._nc.max_payload):
            # Sent anyway, the server would close the connection: say why, keep the letter.
            size = message_size(letter.data, headers)
            raise ReplayNotAcknowledged(
                f"{size} bytes with its replay headers, over max_payload {self._nc.max_payload}"
            )
        try:
            await self._js.publish(self._ingest_subject, letter.data, timeout=self._timeout, headers=headers)
        except _NATS_ERRORS as error:
            raise ReplayNotAcknowledged(_describe(error)) from error
        return replay_id

    async def remove(self, sequence: int, erase: bool = True) -> bool:
        try:
            if erase or self._nc is None:
                return await self._js.delete_msg(self._stream, sequence)
            return await self._delete_unerased(sequence)
        except nats.js.errors.APIError as error:
            if isinstance(error, nats.js.errors.NotFoundError) or error.err_code in _NO_MESSAGE:
                return False
            raise ArchiveUnavailable(_describe(error)) from error
        except _NATS_ERRORS as error:
            raise ArchiveUnavailable(_describe(error)) from error

    async def _delete_unerased(self, sequence: int) -> bool:
        assert self._nc is not None
        request = orjson.dumps({"seq": sequence, "no_erase": True})
        reply = await self._nc.request(f"{DEFAULT_PREFIX}.STREAM.MSG.DELETE.{self._stream}", request, self._timeout)
        answer = orjson.loads(reply.data)
        if "error" in answer:
            raise nats.js.errors.APIError.from_error(answer["error"])  # (which raises the matching kind itself)
        return bool(answer.get("success"))

    async def _forget(self, consumer: str) -> None:
        """Remove the listing's consumer now rather than when the server finds it idle."""
        with contextlib.suppress(*_NATS_ERRORS):  # else the server removes it once inactive_threshold passed
            await self._js.delete_consumer(self._stream, consumer)


def _reading(headers_only: bool) -> ConsumerConfig:
    """A consumer that reads the stream once: no acks, in memory, removed by the server once idle."""
    return ConsumerConfig(
        ack_policy=AckPolicy.NONE,
        headers_only=headers_only,
        mem_storage=True,
        inactive_threshold=30.0,
        deliver_policy=DeliverPolicy.ALL,
    )


def _letter(sequence: int, time: datetime, headers: Mapping[str, str] | None, data: bytes | None = None) -> DeadLetter:
    headers = headers or {}
    deliveries = headers.get(DELIVERIES_HEADER, "")
    size = headers.get("Nats-Msg-Size", "")
    return DeadLetter(
        sequence=sequence,
        time=time.astimezone(UTC),
        kind=headers.get(KIND_HEADER, ""),
        reason=headers.get(ERROR_HEADER, ""),
        order_uid=headers.get(UID_HEADER),
        deliveries=int(deliveries) if deliveries.isdigit() else None,
        headers=dict(headers),
        data=data,
        size=len(data) if data is not None else int(size) if size.isdigit() else None,
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, nats.js.errors.NoStreamResponseError):
        return "no stream listens on the subject"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return str(error) or type(error).__name__
