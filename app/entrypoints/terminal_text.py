"""Text from elsewhere, made safe to print on a terminal.

A dead letter's bytes, headers and reason are whatever someone published; a
server's error message is whatever it says. Printed raw, their control
characters act on the terminal (ESC starts a sequence that moves the cursor,
rewrites lines or sets the title; BEL rings; CR overwrites the line) and the
bidirectional overrides reorder what is shown. :func:`printable` writes each of
them as its Python escape (``\\x1b``, ``\\x07``, ``\\u202e``) instead; :func:`printable_json`
does the same for a JSON line with JSON's own escapes (``\\u009b``).
"""

import re

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
_IN_TEXT = re.compile(f"[{_CONTROLS}]")  # newlines and tabs kept
_IN_A_LINE = re.compile(f"[\t\n{_CONTROLS}]")


def _escape(found: re.Match[str]) -> str:
    return found[0].encode("unicode_escape").decode("ascii")


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with its control characters escaped; ``lines``: its newlines and tabs kept as they are
    (a message's bytes), else escaped too (a field on one line: a header, a reason)."""
    return (_IN_TEXT if lines else _IN_A_LINE).sub(_escape, text)


_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # JSON escapes the rest


def printable_json(line: str) -> str:
    """A JSON document (orjson's, which escapes C0 controls) with the other control characters escaped
    too; still the same JSON, as they can only be inside its strings."""
    return _JSON_RAW.sub(lambda found: f"\\u{ord(found[0]):04x}", line)
