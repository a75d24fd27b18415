"""``GET /api/asyncapi.json``: the message contract, made from the order model and the settings."""

from typing import Any

import pytest

from app.adapters import jetstream_dead_letter_sink as sink
from app.domain.announced_uids import MAX_UIDS
from app.domain.model import ORDER_UID_PATTERN, order_json_schema
from app.entrypoints.asyncapi_document import REF, document
from app.entrypoints.container import Container
from tests.unit.fake_container import Fakes, fake_container, fake_settings
from tests.unit.web.conftest import Client


@pytest.fixture
def container(fakes: Fakes) -> Container:
    return fake_container(fakes, ingest_fetch_seconds=0.01, orders_subject="shop.orders", dlq_subject="shop.dead")


def resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


async def test_the_document_is_served_as_built_from_the_settings(client: Client) -> None:
    response = await client.get("/api/asyncapi.json")
    assert response.status == 200 and response.content_type == "application/json"
    served = await response.json()
    settings = fake_settings(orders_subject="shop.orders", dlq_subject="shop.dead")
    assert served == document(settings)
    assert served["asyncapi"] == "3.0.0"
    addresses = {name: channel["address"] for name, channel in served["channels"].items()}
    assert addresses == {"orders": "shop.orders", "deadLetters": "shop.dead", "storedOrders": "orders.stored"}


def test_the_order_payload_is_the_models_json_schema() -> None:
    doc = document(fake_settings())
    message = resolve(doc, doc["channels"]["orders"]["messages"]["order"]["$ref"])
    assert message["payload"] == {"$ref": REF.format(model="Order")}
    model = order_json_schema(REF)
    nested = model.pop("$defs")
    schemas = doc["components"]["schemas"]
    assert schemas["Order"] == model
    assert {name: schemas[name] for name in nested} == nested
    assert set(schemas) == {"Order", *nested}
    assert message["headers"]["properties"]["Nats-Msg-Id"]["pattern"] == model["properties"]["order_uid"]["pattern"]


def test_the_announcement_carries_order_uids_only_and_its_origin() -> None:
    doc = document(fake_settings())
    message = resolve(doc, doc["channels"]["storedOrders"]["messages"]["storedOrders"]["$ref"])
    assert message["payload"]["type"] == "array"
    assert message["payload"]["items"] == {"type": "string", "pattern": ORDER_UID_PATTERN}
    assert message["payload"]["maxItems"] == MAX_UIDS
    assert message["headers"]["required"] == ["Orders-Origin"]
    assert f"At most {MAX_UIDS} order_uids" in message["description"]


def test_the_dead_letter_names_every_header_the_sink_writes() -> None:
    doc = document(fake_settings())
    message = resolve(doc, doc["channels"]["deadLetters"]["messages"]["deadLetter"]["$ref"])
    written = {value for name, value in vars(sink).items() if name.endswith("_HEADER")}
    assert written <= set(message["headers"]["properties"]), written - set(message["headers"]["properties"])
    assert {"Orders-Deliveries", "Nats-Msg-Id"} <= set(message["headers"]["properties"])
    assert message["payload"]["format"] == "binary"
