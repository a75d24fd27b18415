"""A dead letter cut to what NATS and JetStream take (``nats_message_size.py``).

The headers the sink adds come first and always stay (the reason cut short should
they alone be too large). The original's own headers follow, in their order, while
the header block stays within JetStream's limit; the bytes are kept whole when they
fit in ``max_payload`` beside the headers, else their beginning is. Whatever was left
out is said in ``Orders-Truncated``: the original, whole, is still in its stream at
``Orders-Stream-Sequence`` (until the stream's age or size limit removes it).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.adapters.nats_message_size import HEADER_LIMIT, header_line_size, header_size

TRUNCATED_HEADER = "Orders-Truncated"
_NOTE_ROOM = 300  # header bytes kept free for Orders-Truncated
_SHORT_VALUE = 200  # characters an added header keeps when the added ones alone are too large
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a token (RFC 9110): what nats-py sends


@dataclass(frozen=True)
class Letter:
    data: bytes
    headers: dict[str, str]


def fitted(data: bytes, original: Mapping[str, str], added: Mapping[str, str], max_payload: int) -> Letter:
    """``data`` with ``added`` and as many of the ``original`` headers as fit."""
    headers_budget = min(HEADER_LIMIT, max_payload) - _NOTE_ROOM
    headers = dict(added)
    if header_size(headers) > headers_budget:
        headers = {k: v if len(v) <= _SHORT_VALUE else v[: _SHORT_VALUE - 3] + "..." for k, v in headers.items()}
    size, left_out = header_size(headers), []
    for key, value in original.items():
        line = header_line_size(key, value)
        if key in headers or size + line > headers_budget or not _HEADER_NAME.fullmatch(key.strip()):
            left_out.append(key)
            continue
        headers[key] = value
        size += line
    if not left_out and size + len(data) <= max_payload:
        return Letter(data, headers)
    total = len(data)
    headers[TRUNCATED_HEADER] = _note(total, total, left_out)
    if size + header_line_size(TRUNCATED_HEADER, headers[TRUNCATED_HEADER]) + total > max_payload:
        # The cut's numbers are at most as long as the total's, so sizing the note with it leaves room enough.
        headers[TRUNCATED_HEADER] = _note(total, total, left_out, cut=True)
        kept = max(0, min(total, max_payload - header_size(headers)))
        headers[TRUNCATED_HEADER] = _note(kept, total, left_out, cut=True)
        return Letter(data[:kept], headers)
    return Letter(data, headers)


def _note(kept: int, total: int, left_out: list[str], cut: bool = False) -> str:
    parts = []
    if cut:
        parts.append(f"data cut to its first {kept} of {total} bytes")
    if left_out:
        parts.append(f"{len(left_out)} of the original's headers left out")
    parts.append("the original, whole, stays in its stream at Orders-Stream-Sequence")
    return "; ".join(parts)
