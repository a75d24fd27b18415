"""PostgreSQL URLs that name several hosts, as HA setups give them to clients.

``postgresql://orders@db1:5432,db2:5433/orders?target_session_attrs=read-write``:
libpq (psycopg) and asyncpg both try the hosts in turn and keep the first whose
session matches ``target_session_attrs``. Without that parameter both would take
the first host that answers, a standby as well, so a URL of several hosts gets the
one its use needs when it names none: ``read-write`` for ``DATABASE_URL``,
``prefer-standby`` for ``DATABASE_READ_URL``.
"""

import os
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

READ_WRITE = "read-write"
PREFER_STANDBY = "prefer-standby"
_ATTRS = "target_session_attrs"


def host_list(url: str) -> list[tuple[str, str]]:
    """The URL's (host, port) pairs, in order; the port is '' where the URL gives none."""
    hosts = urlsplit(url).netloc.rpartition("@")[2]
    return [_host_port(entry) for entry in hosts.split(",")] if hosts else []


def with_session_attrs(url: str, attrs: str) -> str:
    """``url`` with ``target_session_attrs=attrs`` when it names several hosts and no such
    parameter (nor does ``PGTARGETSESSIONATTRS``, which both drivers read)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if len(host_list(url)) < 2 or any(name == _ATTRS for name, _ in query) or os.environ.get("PGTARGETSESSIONATTRS"):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, (_ATTRS, attrs)])))


def hosts_as_parameters(url: str) -> str:
    """``url`` with its hosts moved into ``host=`` and ``port=`` query parameters, the form of a
    libpq URL that tools which split the URL themselves (yoyo) hand on to libpq untouched."""
    parts = urlsplit(url)
    hosts = host_list(url)
    if len(hosts) < 2:
        return url
    userinfo, at, _ = parts.netloc.rpartition("@")
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [("host", ",".join(host for host, _ in hosts)), ("port", ",".join(port for _, port in hosts))]
    # Built by hand: urlunsplit drops the '//' of an empty host part.
    return f"{parts.scheme}://{userinfo}{at}{parts.path}?{urlencode(query)}"


def _host_port(entry: str) -> tuple[str, str]:
    """``db1:5432``, ``db1``, ``[::1]:5432``, ``%2Frun%2Fpostgresql`` (a socket directory)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, rest.removeprefix(":")
    host, colon, port = entry.rpartition(":")
    return (unquote(host), port) if colon else (unquote(entry), "")
