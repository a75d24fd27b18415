"""The message contract as an AsyncAPI 3.0 document: the subjects below, the order model's schema, the settings.

``subjects`` holds one short entry per NATS subject the service uses (the ingest stream's,
the dead-letter stream's, the core subject of announcements); ``document`` turns them into
AsyncAPI's channels, operations and messages, with the order's payload schema taken from
the model (``order_json_schema``), its nested models hoisted into ``components/schemas``.
"""

from dataclasses import dataclass
from importlib import metadata
from typing import Any

from app.domain.announced_uids import MAX_BODY, MAX_UIDS
from app.domain.model import ORDER_UID_PATTERN, order_json_schema
from app.domain.rejections import REASON_KINDS
from app.entrypoints.settings import Settings

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"
ERROR_HEADER_MAX = 4000  # the dead-letter sink cuts a longer reason to this many characters
DIGITS = "^[0-9]+$"


def service_version() -> str:
    try:
        return metadata.version("order-service")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def text(description: str, **more: Any) -> Schema:
    return {"type": "string", "description": description, **more}


@dataclass(frozen=True)
class Subject:
    """A subject as a channel (``key``), with its one message and what is done with it."""

    key: str
    address: str
    title: str
    description: str
    message: Schema  # its key: its name, camelCase
    operations: dict[str, tuple[str, str]]  # operationId: (send or receive, summary)


ORDER_MESSAGE = {
    "name": "Order",
    "title": "An order",
    "contentType": "application/json",
    "payload": {"$ref": REF.format(model="Order")},
    "headers": {
        "type": "object",
        "properties": {
            "Nats-Msg-Id": text(
                "The order's order_uid: JetStream drops a re-send within the duplicate window.",
                pattern=ORDER_UID_PATTERN,
            ),
            "traceparent": text(
                "W3C trace context of the publish, when the publisher traces; the ingest span links to it.",
                pattern="^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            ),
        },
    },
}
DEAD_LETTER_HEADERS = {
    "Orders-Error": text(
        "Why, on one line: each field path and rule, a conflict, a refusal.", maxLength=ERROR_HEADER_MAX
    ),
    "Orders-Error-Kind": text("The kind of reason (`orders dlq list --reason`).", enum=sorted(REASON_KINDS)),
    "Orders-Stream-Sequence": text("The original's sequence in the order stream.", pattern=DIGITS),
    "Orders-Subject": text("The subject the original was published to."),
    "Orders-Deliveries": text("How many times the original was delivered to the service.", pattern=DIGITS),
    "Nats-Msg-Id": text("'<order stream>:<sequence>:<digest of the bytes>': a dead letter is stored once."),
    "Orders-Order-Uid": text("The order_uid the original names, when readable (even in broken JSON).", maxLength=200),
    "Orders-Original-Msg-Id": text("The original's Nats-Msg-Id, when it had one."),
    "Orders-Truncated": text(
        "Only on a dead letter that would not fit whole (max_payload, or 65,535 bytes of headers): what was"
        " left out. The whole original stays in the order stream at Orders-Stream-Sequence."
    ),
}
DEAD_LETTER_MESSAGE = {
    "name": "DeadLetter",
    "title": "A message the service could not take",
    "contentType": "application/octet-stream",
    "headers": {
        "type": "object",
        "required": list(DEAD_LETTER_HEADERS)[:6],  # the first six are on every dead letter
        "properties": DEAD_LETTER_HEADERS,
        "additionalProperties": text("The original's own headers but its Nats-* ones (as many as fit)."),
    },
    "payload": text("The original's bytes, unchanged (their beginning if Orders-Truncated).", format="binary"),
}
STORED_MESSAGE = {
    "name": "StoredOrders",
    "title": "Orders just stored",
    "contentType": "application/json",
    "description": f"At most {MAX_UIDS} order_uids ({MAX_BODY} bytes) a message: a larger batch is announced"
    " in several; a receiver ignores a larger or malformed message.",
    "headers": {
        "type": "object",
        "required": ["Orders-Origin"],
        "properties": {"Orders-Origin": text("The id of the instance that stored them.")},
    },
    "payload": {
        "type": "array",
        "maxItems": MAX_UIDS,
        "description": "The order_uids stored, in storage order; empty: the sender listens too.",
        "items": {"type": "string", "pattern": ORDER_UID_PATTERN},
    },
}


def subjects(settings: Settings) -> list[Subject]:
    ingest = (
        f"Bound to the JetStream stream {settings.orders_stream} (duplicate window"
        f" {settings.duplicate_window_seconds:g} s), consumed by the durable pull consumer"
        f" {settings.orders_consumer}. A message is acknowledged once its order is committed or dead-lettered."
    )
    dead = (
        f"Bound to the JetStream stream {settings.dlq_stream}. Invalid messages and conflicting versions of a"
        " stored order land here with their reason; the original is terminated once its dead letter is stored."
    )
    stored = (
        "Core NATS. After each commit the storing instance publishes the order_uids it stored; the others read"
        " those orders from their own database, so a forged or lost announcement never changes what is served."
        " A listening instance also sends [] when it subscribes, every 10 s and on hearing a new instance."
    )
    orders = {
        "ingestOrders": ("receive", "The service validates, stores and caches each order."),
        "submitOrder": ("send", "POST /api/orders publishes a valid order as it was sent."),
    }
    dead_letters = {"deadLetter": ("send", "A message the service cannot take, with the reason.")}
    announcements = {
        "announceStored": ("send", "The orders this instance has just committed."),
        "learnStored": ("receive", "Orders other instances committed, read from this one's database."),
    }
    return [
        Subject("orders", settings.orders_subject, "Orders to ingest", ingest, ORDER_MESSAGE, orders),
        Subject("deadLetters", settings.dlq_subject, "Dead letters", dead, DEAD_LETTER_MESSAGE, dead_letters),
        Subject("storedOrders", settings.orders_stored_subject, "Stored orders", stored, STORED_MESSAGE, announcements),
    ]


def document(settings: Settings) -> dict[str, Any]:
    channels, operations, messages = {}, {}, {}
    for subject in subjects(settings):
        name = subject.message["name"]
        key = name[0].lower() + name[1:]
        own = {"$ref": f"#/channels/{subject.key}/messages/{key}"}
        channels[subject.key] = {
            "address": subject.address,
            "title": subject.title,
            "description": subject.description,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        messages[key] = subject.message
        for op_id, (action, summary) in subject.operations.items():
            channel = {"$ref": f"#/channels/{subject.key}"}
            operations[op_id] = {"action": action, "channel": channel, "summary": summary, "messages": [own]}
    order = order_json_schema(REF)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Order service messages",
            "version": service_version(),
            "description": "What producers send to the order stream, what the service dead-letters, and how"
            " instances tell each other about stored orders. The HTTP API is in /api/openapi.json.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": {**order.pop("$defs", {}), "Order": order}},
    }
