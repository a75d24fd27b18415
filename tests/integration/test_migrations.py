"""The yoyo migrations on a real PostgreSQL, through YoyoMigrator and through `orders migrate`."""

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import psycopg

from app.adapters.pg_order_repository import PgOrderRepository
from app.adapters.yoyo_migrator import YoyoMigrator
from tests.serialized_orders import generated, ser

ORDER_TABLES = {"orders", "deliveries", "payments", "items"}
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
MIGRATION_IDS = sorted(
    p.stem for p in MIGRATIONS_DIR.iterdir() if p.suffix in (".sql", ".py") and not p.name.endswith(".rollback.sql")
)
CLI = [sys.executable, "-m", "app.entrypoints.cli"]


def order_tables(url: str) -> set[str]:
    """Which of the four order tables exist in the public schema."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY(%s)",
            [list(ORDER_TABLES)],
        ).fetchall()
    return {name for (name,) in rows}


def foreign_keys(url: str) -> set[str]:
    """The tables that have a foreign key."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'").fetchall()
    return {name for (name,) in rows}


def back_to(migrator: YoyoMigrator, target: str) -> list[str]:
    """Roll back every migration from the newest down to ``target``, included."""
    return migrator.rollback(MIGRATION_IDS[::-1].index(target) + 1)


def later_than(target: str) -> list[str]:
    """The migrations after ``target``, newest first."""
    return MIGRATION_IDS[: MIGRATION_IDS.index(target) : -1]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


async def test_apply_rollback_apply(empty_database_url: str) -> None:
    migrator = YoyoMigrator(empty_database_url)
    assert "0001_create_order_tables" in MIGRATION_IDS
    assert order_tables(empty_database_url) == set()
    assert migrator.pending() == MIGRATION_IDS

    assert migrator.apply() == MIGRATION_IDS
    assert order_tables(empty_database_url) == ORDER_TABLES
    assert migrator.pending() == []

    assert migrator.apply() == []
    assert order_tables(empty_database_url) == ORDER_TABLES

    assert migrator.rollback(len(MIGRATION_IDS)) == MIGRATION_IDS[::-1]
    assert order_tables(empty_database_url) == set()
    assert migrator.pending() == MIGRATION_IDS

    assert migrator.apply() == MIGRATION_IDS
    assert order_tables(empty_database_url) == ORDER_TABLES


async def test_rollback_with_nothing_applied_does_nothing(empty_database_url: str) -> None:
    assert YoyoMigrator(empty_database_url).rollback(5) == []
    assert order_tables(empty_database_url) == set()


async def test_cli_migrate_and_rollback(empty_database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database_url}

    applied = run([*CLI, "migrate"], env, tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith("applied: ")
    assert all(m in applied.stdout for m in MIGRATION_IDS)
    assert order_tables(empty_database_url) == ORDER_TABLES

    again = run([*CLI, "migrate"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout

    rolled_back = run([*CLI, "migrate", "--rollback"], env, tmp_path)
    assert rolled_back.returncode == 0, rolled_back.stderr
    assert rolled_back.stdout.strip() == f"rolled back: {MIGRATION_IDS[-1]}"

    rest = run([*CLI, "migrate", "--rollback", str(len(MIGRATION_IDS))], env, tmp_path)
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.strip() == f"rolled back: {', '.join(MIGRATION_IDS[-2::-1])}"
    assert order_tables(empty_database_url) == set()


async def test_the_child_foreign_keys_go_with_0002_and_come_back_with_its_rollback(
    empty_database_url: str,
) -> None:
    migrator = YoyoMigrator(empty_database_url)
    migrator.apply()
    assert foreign_keys(empty_database_url) == set()

    assert back_to(migrator, "0002_drop_child_foreign_keys") == [
        *later_than("0004_key_children_by_order_id"),
        "0004_key_children_by_order_id",
        "0003_drop_content_digest",
        "0002_drop_child_foreign_keys",
    ]
    assert foreign_keys(empty_database_url) == {"deliveries", "payments", "items"}


async def test_0003_rollback_restores_each_orders_digest_of_its_json(empty_database_url: str) -> None:
    migrator = YoyoMigrator(empty_database_url)
    migrator.apply()
    orders = [ser(document) for document in generated(2500, seed=3)]  # more than one chunk of the rollback
    pool = await asyncpg.create_pool(empty_database_url, min_size=1, max_size=2)
    try:
        await PgOrderRepository(pool).save(orders)
    finally:
        await pool.close()

    assert back_to(migrator, "0003_drop_content_digest") == [
        *later_than("0004_key_children_by_order_id"),
        "0004_key_children_by_order_id",
        "0003_drop_content_digest",
    ]

    with psycopg.connect(empty_database_url) as conn:
        digests: dict[str, str] = dict(conn.execute("SELECT order_uid, content_sha256 FROM orders").fetchall())
        nullable = conn.execute(
            "SELECT is_nullable FROM information_schema.columns"
            " WHERE table_name = 'orders' AND column_name = 'content_sha256'"
        ).fetchone()
    assert digests == {o.uid: hashlib.sha256(o.json).digest() for o in orders}
    assert nullable == ("NO",)
    assert migrator.apply() == MIGRATION_IDS[MIGRATION_IDS.index("0003_drop_content_digest") :]


async def test_0004_and_its_rollback_keep_every_order_whole(empty_database_url: str) -> None:
    """The child rows move from the order's uid to its id and back, each to its own order."""
    migrator = YoyoMigrator(empty_database_url)
    migrator.apply()
    orders = [ser(document) for document in generated(300, seed=4)]
    pool = await asyncpg.create_pool(empty_database_url, min_size=1, max_size=2)
    try:
        await PgOrderRepository(pool).save(orders)
        expected = {o.uid: o.json for o in orders}

        assert back_to(migrator, "0003_drop_content_digest")[-2:] == [
            "0004_key_children_by_order_id",
            "0003_drop_content_digest",
        ]  # 0003's rollback rebuilds each order from children keyed by uid again: its digest says they are its own
        rows = await pool.fetch("SELECT order_uid, content_sha256 FROM orders")
        digests = {row["order_uid"]: row["content_sha256"] for row in rows}
        assert digests == {uid: hashlib.sha256(json).digest() for uid, json in expected.items()}

        assert migrator.apply()[:2] == ["0003_drop_content_digest", "0004_key_children_by_order_id"]
        repository = PgOrderRepository(pool)
        assert {o.uid: await repository.get_json(o.uid) for o in orders} == expected
        assert await pool.fetchval("SELECT count(*) FROM items") == sum(len(o.order.items) for o in orders)
    finally:
        await pool.close()


def test_cli_migrate_without_database_url_fails_clearly(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "")}  # no DATABASE_URL; cwd has no .env
    orders = Path(sys.executable).with_name("orders")
    command = [str(orders)] if orders.exists() else CLI

    result = run([*command, "migrate"], env, tmp_path)

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


async def test_0005_counts_the_orders_stored_before_it_and_every_write_after(empty_database_url: str) -> None:
    """The counter rows start from the table's count and follow inserts, deletes and truncation,
    also by writers that know nothing of them (an older instance during a rolling update)."""
    migrator = YoyoMigrator(empty_database_url)
    migrator.apply()
    back_to(migrator, "0005_count_orders")
    orders = [ser(document) for document in generated(120, seed=5)]
    pool = await asyncpg.create_pool(empty_database_url, min_size=1, max_size=4)
    try:
        repository = PgOrderRepository(pool)
        await repository.save(orders[:100])  # stored by the code before 0005
        migrator.apply()
        assert await repository.count() == 100
        await asyncio.gather(repository.save(orders[100:110]), repository.save(orders[110:]))
        await repository.save(orders[:5])  # duplicates: their attempt is undone, and its count with it
        assert await repository.count() == 120
        await pool.execute("DELETE FROM orders WHERE order_uid = ANY($1::text[])", [o.uid for o in orders[:7]])
        assert await repository.count() == 113 == await pool.fetchval("SELECT count(*) FROM orders")
        await pool.execute("TRUNCATE orders, deliveries, payments, items")
        assert await repository.count() == 0
        assert back_to(migrator, "0005_count_orders") == later_than("0004_key_children_by_order_id")
        assert await pool.fetchval("SELECT to_regclass('order_counts')") is None
    finally:
        await pool.close()
