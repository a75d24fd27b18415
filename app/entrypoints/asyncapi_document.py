"""The message contract as an AsyncAPI 3.0 document, built from the order model and the settings.

Three channels, named by the settings' subjects:

- the ingest subject (``ORDERS_SUBJECT``, JetStream stream ``ORDERS_STREAM``): what producers
  send, an order as JSON with its ``order_uid`` in ``Nats-Msg-Id``; the payload schema is the
  order model's own JSON schema (``Order.model_json_schema``), its nested models hoisted into
  ``components/schemas`` as the OpenAPI document does;
- the dead-letter subject (``DLQ_SUBJECT``, stream ``DLQ_STREAM``): the original bytes and
  headers of a message the service could not take, with ``Orders-*`` headers saying why;
- the announcement subject (``ORDERS_STORED_SUBJECT``, core NATS): the order_uids of the orders an
  instance has just stored, for the other instances, which read them from their database.
"""

from importlib import metadata
from typing import Any

from app.domain.announced_uids import MAX_BODY, MAX_UIDS
from app.domain.model import ORDER_UID_PATTERN, order_json_schema
from app.domain.rejections import REASON_KINDS
from app.entrypoints.settings import Settings

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"
ERROR_HEADER_MAX = 4000  # the dead-letter sink cuts a longer reason to this many characters


def _version() -> str:
    try:
        return metadata.version("order-service")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def order_schemas() -> dict[str, Schema]:
    """``Order`` and the models it nests, exactly as the model states them."""
    order = order_json_schema(REF)
    schemas: dict[str, Schema] = order.pop("$defs", {})
    return {**schemas, "Order": order}


def _string(description: str, **more: Any) -> Schema:
    return {"type": "string", "description": description, **more}


TRACEPARENT = _string(
    "W3C trace context of the publish (present when the publisher traces): the service's ingest span links to it.",
    pattern="^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
)
ORDER_HEADERS: Schema = {
    "type": "object",
    "properties": {
        "Nats-Msg-Id": _string(
            "The order's order_uid. JetStream drops a re-send with the same id within the stream's"
            " duplicate window; the service stores an order once whatever arrives.",
            pattern=ORDER_UID_PATTERN,
        ),
        "traceparent": TRACEPARENT,
    },
}


def dead_letter_headers() -> Schema:
    digits = "^[0-9]+$"
    return {
        "type": "object",
        "required": [
            "Orders-Error",
            "Orders-Error-Kind",
            "Orders-Stream-Sequence",
            "Orders-Subject",
            "Orders-Deliveries",
            "Nats-Msg-Id",
        ],
        "properties": {
            "Orders-Error": _string(
                "Why the message was dead-lettered, on one line: an invalid order lists each field"
                " path and rule; 'conflict: order_uid … is already stored with different content';"
                " 'storage refused the order: …'.",
                maxLength=ERROR_HEADER_MAX,
            ),
            "Orders-Error-Kind": {
                "type": "string",
                "enum": sorted(REASON_KINDS),
                "description": "The kind of reason, as `orders dlq list --reason` selects it.",
            },
            "Orders-Order-Uid": _string(
                "The order_uid the original names, when it has a readable one (even in broken JSON).", maxLength=200
            ),
            "Orders-Stream-Sequence": _string("The original's sequence in the order stream.", pattern=digits),
            "Orders-Subject": _string("The subject the original was published to."),
            "Orders-Original-Msg-Id": _string("The original's Nats-Msg-Id, when it had one."),
            "Orders-Deliveries": _string("How many times the original was delivered to the service.", pattern=digits),
            "Nats-Msg-Id": _string(
                "'<order stream>:<sequence>:<digest of the bytes>': a dead letter written again (after a"
                " crash) is stored once."
            ),
            "Orders-Truncated": _string(
                "Only on a dead letter that would not fit whole (the NATS server's max_payload, or"
                " JetStream's 65,535 bytes of headers): what was left out, e.g. 'data cut to its first"
                " 1048100 of 1048576 bytes; 2 of the original's headers left out; …'. The original,"
                " whole, stays in the order stream at Orders-Stream-Sequence until its limits remove it."
            ),
        },
        "additionalProperties": _string(
            "The original's own headers but its Nats-* ones, unchanged (as many as fit: see Orders-Truncated)."
        ),
    }


def document(settings: Settings) -> dict[str, Any]:
    order_ref = {"$ref": REF.format(model="Order")}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Order service messages",
            "version": _version(),
            "description": "What producers send to the order stream, what the service writes to the"
            " dead-letter stream, and how instances tell each other about stored orders. The HTTP API"
            " is described in /api/openapi.json.",
        },
        "defaultContentType": "application/json",
        "channels": {
            "orders": {
                "address": settings.orders_subject,
                "title": "Orders to ingest",
                "description": f"Bound to the JetStream stream {settings.orders_stream} (file storage,"
                f" duplicate window {settings.duplicate_window_seconds:g} s). The service consumes it"
                f" with the durable pull consumer {settings.orders_consumer}, and POST /api/orders"
                " publishes to it too. A message is acknowledged once its order is committed, or"
                " once it is dead-lettered.",
                "messages": {"order": {"$ref": "#/components/messages/order"}},
            },
            "deadLetters": {
                "address": settings.dlq_subject,
                "title": "Dead letters",
                "description": f"Bound to the JetStream stream {settings.dlq_stream}. Invalid messages and"
                " conflicting versions of a stored order land here with their reason; the original is"
                " terminated only once its dead letter is stored.",
                "messages": {"deadLetter": {"$ref": "#/components/messages/deadLetter"}},
            },
            "storedOrders": {
                "address": settings.orders_stored_subject,
                "title": "Stored orders, announced",
                "description": "Core NATS (no stream). After each commit the storing instance publishes the"
                " order_uids of the orders it stored; every other instance reads those orders from its own"
                " database, caches them, shows them live and wakes requests waiting for them. Nothing of"
                " an announcement but its uids is used, and an order not stored is ignored, so a forged"
                " one cannot change what is served; only the service's NATS user may publish here. A"
                " lost announcement costs a cache miss, never a wrong answer. An instance that listens"
                " also sends an empty array ([]) when it subscribes, every 10 s and when it hears an"
                " instance it did not know; orders are announced only while another instance has been"
                " heard within 30 s.",
                "messages": {"storedOrders": {"$ref": "#/components/messages/storedOrders"}},
            },
        },
        "operations": {
            "ingestOrders": {
                "action": "receive",
                "channel": {"$ref": "#/channels/orders"},
                "summary": "The service validates, stores and caches each order it receives.",
                "messages": [{"$ref": "#/channels/orders/messages/order"}],
            },
            "submitOrder": {
                "action": "send",
                "channel": {"$ref": "#/channels/orders"},
                "summary": "POST /api/orders publishes a valid order as it was sent.",
                "messages": [{"$ref": "#/channels/orders/messages/order"}],
            },
            "deadLetter": {
                "action": "send",
                "channel": {"$ref": "#/channels/deadLetters"},
                "summary": "A message the service cannot take, with the reason.",
                "messages": [{"$ref": "#/channels/deadLetters/messages/deadLetter"}],
            },
            "announceStored": {
                "action": "send",
                "channel": {"$ref": "#/channels/storedOrders"},
                "summary": "The orders this instance has just committed.",
                "messages": [{"$ref": "#/channels/storedOrders/messages/storedOrders"}],
            },
            "learnStored": {
                "action": "receive",
                "channel": {"$ref": "#/channels/storedOrders"},
                "summary": "Orders other instances have committed, read from this instance's database.",
                "messages": [{"$ref": "#/channels/storedOrders/messages/storedOrders"}],
            },
        },
        "components": {
            "messages": {
                "order": {
                    "name": "Order",
                    "title": "An order",
                    "contentType": "application/json",
                    "headers": ORDER_HEADERS,
                    "payload": order_ref,
                },
                "deadLetter": {
                    "name": "DeadLetter",
                    "title": "A message the service could not take",
                    "contentType": "application/octet-stream",
                    "headers": dead_letter_headers(),
                    "payload": {
                        "type": "string",
                        "format": "binary",
                        "description": "The original message's bytes, unchanged (not always JSON: that may"
                        " be why it is here); only their beginning when Orders-Truncated says so.",
                    },
                },
                "storedOrders": {
                    "name": "StoredOrders",
                    "title": "Orders just stored",
                    "contentType": "application/json",
                    "description": f"At most {MAX_UIDS} order_uids ({MAX_BODY} bytes) a message: a larger"
                    " batch is announced in several; a receiver ignores a larger or malformed message.",
                    "headers": {
                        "type": "object",
                        "required": ["Orders-Origin"],
                        "properties": {"Orders-Origin": _string("The id of the instance that stored them.")},
                    },
                    "payload": {
                        "type": "array",
                        "maxItems": MAX_UIDS,
                        "description": "The order_uids of the orders stored, in storage order; empty: the"
                        " sender listens too.",
                        "items": {"type": "string", "pattern": ORDER_UID_PATTERN},
                    },
                },
            },
            "schemas": order_schemas(),
        },
    }
