"""SchemaMigrator with yoyo-migrations (synchronous, over psycopg 3).

The migrations ship inside the package (``app/migrations`` is the project's
``migrations`` folder), so an installed wheel finds them as a checkout does.

yoyo splits the URL itself and takes one host; it hands the query parameters to
psycopg as they are. So the hosts of a URL that names several go to libpq as
``host=``/``port=`` parameters, and libpq connects to the one that accepts writes
(``pg_hosts``): the migrations never run against a standby.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from yoyo import get_backend, read_migrations
from yoyo.backends import DatabaseBackend

from app.adapters.pg_hosts import READ_WRITE, hosts_as_parameters, with_session_attrs

MIGRATIONS = "package:app:migrations"  # yoyo reads them through importlib.resources


def _yoyo_url(database_url: str, connect_timeout: float | None) -> str:
    """The URL yoyo wants: every host as libpq parameters, the writable one chosen; ``connect_timeout``
    (whole seconds, libpq's parameter) unless it has one."""
    scheme, _, rest = hosts_as_parameters(with_session_attrs(database_url, READ_WRITE)).partition("://")
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    if connect_timeout is not None and "connect_timeout=" not in rest:
        rest += ("&" if "?" in rest else "?") + f"connect_timeout={max(2, round(connect_timeout))}"
    return f"{scheme}://{rest}"


class YoyoMigrator:
    """Applies or rolls back the SQL migrations in ``migrations/``, under yoyo's lock."""

    def __init__(self, database_url: str, source: str = MIGRATIONS, connect_timeout: float | None = None) -> None:
        """``connect_timeout``: how long to wait for PostgreSQL to answer (None: as long as it takes)."""
        self._database_url = database_url
        self._source = source
        self._connect_timeout = connect_timeout

    @contextmanager
    def _backend(self) -> Iterator[DatabaseBackend]:
        backend = get_backend(_yoyo_url(self._database_url, self._connect_timeout))
        try:
            with backend.lock():
                yield backend
        finally:
            backend.connection.close()

    def apply(self) -> list[str]:
        """Apply every pending migration; returns the ids applied."""
        with self._backend() as backend:
            pending = backend.to_apply(read_migrations(self._source))
            backend.apply_migrations(pending)
        return [m.id for m in pending]

    def rollback(self, count: int = 1) -> list[str]:
        """Roll back the ``count`` most recently applied migrations."""
        with self._backend() as backend:
            applied = backend.to_rollback(read_migrations(self._source))[:count]
            backend.rollback_migrations(applied)
        return [m.id for m in applied]

    def pending(self) -> list[str]:
        """The ids of the migrations not applied yet."""
        with self._backend() as backend:
            return [m.id for m in backend.to_apply(read_migrations(self._source))]
