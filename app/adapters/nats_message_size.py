"""How large a NATS message is on the wire, and the two limits it must stay within.

- The server's ``max_payload`` (nats-py: ``nc.max_payload``, from the INFO of the server
  it is connected to; 1 MiB by default) bounds the header block and the data together.
  nats-py checks the data alone, so a message whose headers tip it over is sent, and the
  server answers ``-ERR 'Maximum Payload Violation'`` and closes the connection.
- JetStream refuses to store a message whose header block is over 65,535 bytes
  (``header size exceeds maximum allowed of 64k``, error 10097).

The header block is what nats-py writes: ``NATS/1.0\\r\\n``, one ``Key: Value\\r\\n`` per
header (both stripped; CR and LF in a value become spaces), and a closing ``\\r\\n``.
"""

from collections.abc import Mapping

HEADER_LIMIT = 65535  # bytes of header block JetStream stores at most
_STATUS_LINE = len(b"NATS/1.0\r\n")
_EACH = len(b": \r\n")
_END = len(b"\r\n")


def header_size(headers: Mapping[str, str] | None) -> int:
    """Bytes of the header block nats-py sends for ``headers`` (0 for none)."""
    if headers is None:
        return 0
    size = _STATUS_LINE + _END
    for key, value in headers.items():
        if key.strip():
            size += len(key.strip().encode()) + len(value.strip().encode()) + _EACH
    return size


def header_line_size(key: str, value: str) -> int:
    """Bytes one more header adds to a block."""
    return len(key.strip().encode()) + len(value.strip().encode()) + _EACH


def fits(data: bytes, headers: Mapping[str, str] | None, max_payload: int) -> bool:
    """Whether the server and JetStream take this message."""
    return header_size(headers) <= HEADER_LIMIT and message_size(data, headers) <= max_payload


def message_size(data: bytes, headers: Mapping[str, str] | None) -> int:
    """What the server counts against ``max_payload``: header block and data."""
    return header_size(headers) + len(data)
