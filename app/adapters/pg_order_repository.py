"""OrderRepository on PostgreSQL through an asyncpg pool.

A batch is written with binary COPY, PostgreSQL's fastest way in
(``pg_order_rows``). Writes are idempotent by ``order_uid``: when the COPY
meets a stored uid (the primary key), that attempt is undone (a savepoint), an
indexed read finds which uids are stored, and only the others are copied; the
stored ones are redeliveries (the same document) or conflicts. Nearly every
batch is new, so nearly every batch is written without that read.

Batches may be saved concurrently, yet ids still follow arrival: the insert
statements (and the ids they take) run one after another in the order ``save``
was called, and each transaction commits only after the one before it. So one
batch's commit (its WAL flush) and the Python around it overlap the next
batch's insert, and a reader paging by id never sees a later batch before an
earlier one. (Two service instances that insert the same uids in crossing order
could wait on each other; the command timeout ends that wait and the batch is
retried.)

Connections are handed out in turn, first come, first served: asyncpg's pool
lets a newcomer take a connection that was just given back to a caller already
waiting, who then waits again at the back (asyncpg issue #1247), which starved
some uncached lookups under load (``docs/performance.md``). A semaphore as
large as the pool, which asyncio keeps fair, is taken first, so the pool never
has anyone waiting.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from app.adapters.pg_order_columns import json_from_row, order_from_row, select_documents
from app.adapters.pg_order_rows import TABLE_COLUMNS, table_rows
from app.domain.document import SerializedOrder, serialize
from app.domain.model import INT64_MAX
from app.ports.order_repository import OrderNotStorable, SaveOutcome, StorageUnavailable

# Orders by uid, in two statements: their ids, then the orders by those ids on every table's own
# key, so that no join can read a child table whole (given only the uids, the planner hashed all
# of payments to find a batch's 500).
STORED_IDS = "SELECT array(SELECT id FROM orders WHERE order_uid = ANY($1::text[]))"
SELECT_BY_IDS = select_documents(
    "o.id = ANY($1::bigint[]) AND d.order_id = ANY($1::bigint[]) AND p.order_id = ANY($1::bigint[])", "o.id"
)
SELECT_ONE = select_documents("o.order_uid = $1", "o.id")
# The warm-up: the newest ``limit`` orders, oldest first, in two statements. The first finds the
# lowest id among them; the second reads from that id on, with the bound on each table's own key,
# so the planner sees how few rows that is and every scan starts there (the bound inside one
# statement, an InitPlan, is unknown when planning: deliveries and payments were read whole).
RECENT_BOUND = "SELECT coalesce(min(id), 0) FROM (SELECT id FROM orders ORDER BY id DESC LIMIT $1) newest"
SELECT_RECENT = select_documents("o.id >= $1 AND d.order_id >= $1 AND p.order_id >= $1", "o.id")
# Its plan is the only one costly enough for JIT, whose compiling took 0.2 s of the warm-up and
# saved nothing. Set for its transaction alone: a pooler such as PgBouncer may refuse a startup
# parameter for the whole session.
NO_JIT = "SET LOCAL jit = off"

COUNT_ORDERS = "SELECT coalesce(sum(orders), 0)::bigint FROM order_counts"


def _page_query(by_customer: bool, by_track: bool) -> str:
    """Newest first below ``$1``; one statement per filter combination so each plan can use its index.

    The bound is on every table's own key, so that a join the planner merges reads its
    child rows from there on, not from the newest (a deep page read all above it)."""
    where = ["o.id < $1 AND d.order_id < $1 AND p.order_id < $1"]
    if by_customer:
        where.append(f"o.customer_id = ${len(where) + 1}")
    if by_track:
        where.append(f"o.track_number = ${len(where) + 1}")
    query = select_documents(" AND ".join(where), f"o.id DESC LIMIT ${len(where) + 1}")
    return "SELECT o.id, " + query.removeprefix("SELECT ")  # the id leads; the document follows


SELECT_PAGES = {(c, t): _page_query(c, t) for c in (False, True) for t in (False, True)}

# A batch's ids are taken from the orders' identity sequence before its COPY, which writes them
# into the orders' rows and into the child rows that refer to them. An attempt undone (a stored
# uid) leaves its ids unused, and the next attempt uses them again.
RESERVE_IDS = "SELECT array(SELECT nextval('orders_id_seq') FROM generate_series(1, $1) ORDER BY 1)"
_COPY_ATTEMPTS = 5  # the optimistic copy, then read and copy again while other writers commit the same uids
WARM_UP_CHUNK = 2000  # rows per cursor fetch while warming the cache

# SQLSTATE classes that say "the content is wrong", not "the server is away":
# data exception, integrity violation, program limit exceeded.
_CONTENT_ERRORS = ("22", "23", "54")


class PgOrderRepository:
    """Orders in the normalized tables created by the yoyo migrations."""

    def __init__(self, pool: asyncpg.Pool, lookup_timeout: float | None = None) -> None:
        """``lookup_timeout``: the most a read (``get_json``, ``list_json``, ``count``) may take in
        all, waiting for a turn and a connection included: over a silent link reads pile up
        behind the pool, each batch of them waiting out the connect or command timeout."""
        self._pool = pool
        self._lookup_timeout = lookup_timeout
        self._turns = asyncio.Semaphore(pool.get_max_size())  # FIFO, unlike the pool: see above
        self._last_insert: asyncio.Future[None] | None = None  # the latest save's turns
        self._last_commit: asyncio.Future[None] | None = None

    async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
        # Turns are taken before the first await, so they follow the order of the calls.
        loop = asyncio.get_running_loop()
        inserted, committed = loop.create_future(), loop.create_future()
        insert_after, self._last_insert = self._last_insert, inserted
        commit_after, self._last_commit = self._last_commit, committed
        try:
            async with self._connection() as conn, conn.transaction():
                await _after(insert_after)
                try:
                    outcomes = await _insert_new(conn, orders)
                finally:
                    inserted.set_result(None)
                await _after(commit_after)
        finally:
            for turn in (inserted, committed):
                if not turn.done():
                    turn.set_result(None)
        return outcomes

    async def get_json(self, order_uid: str) -> bytes | None:
        async with self._bounded(), self._connection() as conn:
            row = await conn.fetchrow(SELECT_ONE, order_uid)
        return None if row is None else json_from_row(row)

    async def get_many(self, order_uids: Sequence[str]) -> list[SerializedOrder]:
        async with self._connection() as conn:
            rows = await stored_rows(conn, list(order_uids))
        return [serialize(order_from_row(row)) for row in rows]

    async def recent_json(self, limit: int) -> AsyncIterator[tuple[str, bytes]]:
        if limit <= 0:
            return
        async with self._connection() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(NO_JIT)
            bound = await conn.fetchval(RECENT_BOUND, limit)  # one snapshot: no order stored in between
            cursor = await conn.cursor(SELECT_RECENT, bound)
            rows = await cursor.fetch(WARM_UP_CHUNK)
            while rows:
                upcoming = asyncio.ensure_future(cursor.fetch(WARM_UP_CHUNK))
                await asyncio.sleep(0)  # let it ask: PostgreSQL reads on while these become JSON
                try:
                    for row in rows:
                        yield row[0], json_from_row(row)
                finally:
                    if not upcoming.done():  # the reader stopped early: settle the fetch in flight
                        await asyncio.wait([upcoming])
                rows = upcoming.result()

    async def list_json(
        self,
        limit: int,
        before_id: int | None = None,
        customer_id: str | None = None,
        track_number: str | None = None,
    ) -> list[tuple[int, bytes]]:
        query = SELECT_PAGES[customer_id is not None, track_number is not None]
        args: list[object] = [INT64_MAX if before_id is None else before_id]
        args += [value for value in (customer_id, track_number) if value is not None]
        async with self._bounded(), self._connection() as conn:
            rows = await conn.fetch(query, *args, limit)
        return [(row[0], json_from_row(tuple(row)[1:])) for row in rows]

    async def count(self) -> int:
        """From the counter rows the triggers of migration 0005 keep: exact, and as cheap at any size."""
        async with self._bounded(), self._connection() as conn:
            count: int = await conn.fetchval(COUNT_ORDERS)
        return count

    async def ping(self) -> None:
        """Also fails on a server that does not take writes (a standby, or a primary demoted
        under the pool), whose connections it drops so that the next ones find the primary."""
        async with self._connection() as conn:
            read_only = await conn.fetchval("SELECT current_setting('transaction_read_only') = 'on'")
        if read_only:
            await self._pool.expire_connections()
            raise StorageUnavailable("the database server takes no writes (a standby?)")

    @asynccontextmanager
    async def _bounded(self) -> AsyncIterator[None]:
        """A read that outlasts ``lookup_timeout`` is given up: StorageUnavailable."""
        try:
            async with asyncio.timeout(self._lookup_timeout):
                yield
        except TimeoutError as error:
            raise StorageUnavailable(f"no answer within {self._lookup_timeout} s") from error

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[PoolConnectionProxy]:
        """A pooled connection; driver errors become the port's two kinds.

        A connection that failed for any reason but its content is closed, not given back:
        one the server dropped may still look open to asyncpg, in the middle of a transaction
        or an operation, and the pool would try to roll it back (logging "Resetting connection
        with an active transaction" and leaving the failure of that attempt unretrieved) or
        hand it out again, broken ("cannot switch to state 15").

        Such a failure also expires the pool's other connections: after a failover they lead
        to a server that is gone or takes no writes any more (``cannot execute INSERT in a
        read-only transaction``), and each would fail once before being replaced. The new
        ones go to whichever host of ``DATABASE_URL`` accepts writes by then (``pg_hosts``)."""
        try:
            async with self._turns, self._pool.acquire() as conn:
                try:
                    yield conn
                except _FAILURES as error:
                    if not _content_error(error):
                        conn.terminate()
                        await self._pool.expire_connections()
                    raise
                except asyncio.CancelledError:  # mid-query: given back, it would wait for a cancel request
                    conn.terminate()
                    raise
        except asyncpg.PostgresError as error:
            if _content_error(error):
                raise OrderNotStorable(f"{type(error).__name__}: {error}") from error
            raise StorageUnavailable(f"{type(error).__name__}: {error}") from error
        except _FAILURES as error:
            raise StorageUnavailable(f"{type(error).__name__}: {error}") from error


# InternalClientError: a connection broken mid-operation, as when the server went away.
_FAILURES = (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.InternalClientError)


def _content_error(error: BaseException) -> bool:
    return isinstance(error, asyncpg.PostgresError) and (error.sqlstate or "")[:2] in _CONTENT_ERRORS


async def _insert_new(conn: PoolConnectionProxy, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
    """Copy in the orders not stored yet; the stored ones are duplicates or conflicts by their JSON.

    Optimistic: the first attempt copies them all, as nearly every batch is new. Only when a
    uid turns out stored already (a redelivery, a conflict, or another writer's) is the attempt
    undone and the stored orders read, and the rest copied."""
    ids = await conn.fetchval(RESERVE_IDS, len(orders))  # ascending, so ids follow the batch's order
    stored: dict[str, bytes] = {}  # uid -> the stored order's JSON
    for attempt in range(1, _COPY_ATTEMPTS + 1):
        new = [(order_id, o) for order_id, o in zip(ids, orders, strict=True) if o.uid not in stored]
        try:
            async with conn.transaction():  # a savepoint: a stored uid undoes this attempt only
                for table, records in (table_rows(new) if new else {}).items():
                    await conn.copy_records_to_table(table, records=records, columns=TABLE_COLUMNS[table])
        except asyncpg.UniqueViolationError:
            if attempt == _COPY_ATTEMPTS:
                raise
            stored = {row[0]: json_from_row(row) for row in await stored_rows(conn, [o.uid for o in orders])}
            continue
        break
    return {
        o.uid: SaveOutcome.STORED
        if o.uid not in stored
        else SaveOutcome.DUPLICATE
        if stored[o.uid] == o.json
        else SaveOutcome.CONFLICT
        for o in orders
    }


async def stored_rows(conn: PoolConnectionProxy, uids: Sequence[str]) -> list[asyncpg.Record]:
    """The stored orders among ``uids`` (``select_documents`` rows, by id)."""
    return await conn.fetch(SELECT_BY_IDS, await conn.fetchval(STORED_IDS, uids))


async def _after(turn: asyncio.Future[None] | None) -> None:
    """Wait until an earlier save has passed that step, however it ended."""
    if turn is not None and not turn.done():
        await asyncio.wait([turn])
