"""Jinja filters that turn order values into what a person reads.

Money is shown in whole units of its currency with thousands separators
("1,817 USD"), as the sample data implies; times are shown in UTC. Every filter
returns plain text, so autoescaping still applies to what it returns.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

DASH = "—"
_READABLE = "%d %b %Y, %H:%M UTC"
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def count(value: int | None) -> str:
    """1234 → "1,234"; unknown (None) → a dash."""
    return DASH if value is None else f"{value:,}"


def money(amount: int | None, currency: str = "") -> str:
    """1817, "USD" → "1,817 USD"."""
    if amount is None:
        return DASH
    return f"{amount:,} {currency}".strip()


def percent(ratio: float | None, digits: int = 1) -> str:
    """0.875 → "87.5%"."""
    return DASH if ratio is None else f"{ratio * 100:.{digits}f}%"


def _from_unix(seconds: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return _from_unix(value)
    if isinstance(value, str):
        return _from_iso(value)
    return None


def when(value: Any) -> str:
    """Unix seconds, an ISO 8601 string or a datetime → "26 Nov 2021, 06:22 UTC"."""
    moment = _moment(value)
    return str(value) if moment is None else moment.strftime(_READABLE)


def iso(value: Any) -> str:
    """The same moment for a ``<time datetime=...>`` attribute; empty when it is not a time."""
    moment = _moment(value)
    return "" if moment is None else moment.strftime(_ISO)


FILTERS: dict[str, Callable[..., str]] = {
    "count": count,
    "money": money,
    "percent": percent,
    "when": when,
    "iso": iso,
}
