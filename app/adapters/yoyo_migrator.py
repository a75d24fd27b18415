"""Schema migrations with yoyo-migrations (synchronous, over psycopg 3)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yoyo import get_backend, read_migrations

DEFAULT_MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def _yoyo_url(database_url: str) -> str:
    scheme, _, rest = database_url.partition("://")
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


class YoyoMigrator:
    """Applies or rolls back the SQL migrations in ``migrations/``, under yoyo's lock."""

    def __init__(self, database_url: str, migrations_dir: Path = DEFAULT_MIGRATIONS_DIR) -> None:
        self._database_url = database_url
        self._migrations_dir = migrations_dir

    @contextmanager
    def _backend(self) -> Iterator:
        backend = get_backend(_yoyo_url(self._database_url))
        try:
            with backend.lock():
                yield backend
        finally:
            backend.connection.close()

    def apply(self) -> list[str]:
        """Apply every pending migration; returns the ids applied."""
        with self._backend() as backend:
            pending = backend.to_apply(read_migrations(str(self._migrations_dir)))
            backend.apply_migrations(pending)
        return [m.id for m in pending]

    def rollback(self, count: int = 1) -> list[str]:
        """Roll back the ``count`` most recently applied migrations."""
        with self._backend() as backend:
            applied = backend.to_rollback(read_migrations(str(self._migrations_dir)))[:count]
            backend.rollback_migrations(applied)
        return [m.id for m in applied]

    def pending(self) -> list[str]:
        with self._backend() as backend:
            return [m.id for m in backend.to_apply(read_migrations(str(self._migrations_dir)))]
