"""The yoyo migrations on a real PostgreSQL, through YoyoMigrator and through `orders migrate`."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from app.adapters.yoyo_migrator import DEFAULT_MIGRATIONS_DIR, YoyoMigrator

ORDER_TABLES = {"orders", "deliveries", "payments", "items"}
MIGRATION_IDS = sorted(p.name.removesuffix(".sql") for p in DEFAULT_MIGRATIONS_DIR.glob("*.sql")
                       if not p.name.endswith(".rollback.sql"))
CLI = [sys.executable, "-m", "app.entrypoints.cli"]


def order_tables(url: str) -> set[str]:
    """Which of the four order tables exist in the public schema."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name = ANY(%s)", [list(ORDER_TABLES)],
        ).fetchall()
    return {name for (name,) in rows}


def foreign_keys(url: str) -> set[str]:
    """The tables that have a foreign key."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'").fetchall()
    return {name for (name,) in rows}


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


async def test_the_child_foreign_keys_go_with_0002_and_come_back_with_its_rollback(empty_database_url: str) -> None:
    migrator = YoyoMigrator(empty_database_url)
    migrator.apply()
    assert foreign_keys(empty_database_url) == set()

    assert migrator.rollback() == ["0002_drop_child_foreign_keys"]
    assert foreign_keys(empty_database_url) == {"deliveries", "payments", "items"}


def test_cli_migrate_without_database_url_fails_clearly(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "")}  # no DATABASE_URL; cwd has no .env
    orders = Path(sys.executable).with_name("orders")
    command = [str(orders)] if orders.exists() else CLI

    result = run([*command, "migrate"], env, tmp_path)

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
