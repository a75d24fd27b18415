"""Schema migrations with yoyo-migrations (synchronous, over psycopg 3)."""

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

    def _open(self):
        return get_backend(_yoyo_url(self._database_url)), read_migrations(str(self._migrations_dir))

    def apply(self) -> list[str]:
        """Apply every pending migration; returns the ids applied."""
        backend, migrations = self._open()
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]

    def rollback(self, count: int = 1) -> list[str]:
        """Roll back the ``count`` most recently applied migrations."""
        backend, migrations = self._open()
        with backend.lock():
            applied = backend.to_rollback(migrations)[:count]
            backend.rollback_migrations(applied)
        return [m.id for m in applied]

    def pending(self) -> list[str]:
        backend, migrations = self._open()
        return [m.id for m in backend.to_apply(migrations)]
