"""A field added to the order in ``model.py`` alone reaches everything that knows the order's fields.

A copy of ``app`` gets two new fields in its model (one on the order, one on an
item) and nothing else; a fresh interpreter on that copy then decodes, validates,
serves, generates, shows (the order page) and describes orders with them (JSON
schema, OpenAPI, AsyncAPI).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.document import serialize
from app.domain.order_factory import OrderFactory
from app.domain.validation import parse_order

APP = Path(__file__).resolve().parents[2] / "app"
CHECK = """
import json
from app.domain.document import serialize
from app.domain.model import order_json_schema
from app.domain.order_factory import OrderFactory
from app.domain.validation import InvalidOrder, parse_order

generated = OrderFactory(seed=1).order()
assert isinstance(generated["gift_note"], str) and isinstance(generated["items"][0]["colour"], str)
served = json.loads(serialize(parse_order(json.dumps(generated).encode())).json)
assert served["gift_note"] == generated["gift_note"], served
assert served["items"][0]["colour"] == generated["items"][0]["colour"], served

del generated["gift_note"]
try:
    parse_order(json.dumps(generated).encode())
except InvalidOrder as refused:
    assert str(refused) == "gift_note: Field required", refused
else:
    raise AssertionError("an order without the new field was accepted")

schema = order_json_schema("#/$defs/{model}")
assert "gift_note" in schema["properties"] and "gift_note" in schema["required"], schema
assert schema["$defs"]["Item"]["properties"]["colour"]["pattern"] == "^[^\\\\x00]*$", schema["$defs"]["Item"]

from app.entrypoints.asyncapi_document import document
from app.entrypoints.settings import Settings
from app.entrypoints.web.openapi import schemas

openapi = schemas()
assert "gift_note" in openapi["Order"]["required"] and "colour" in openapi["Item"]["properties"], openapi
asyncapi = document(Settings(_env_file=None))["components"]["schemas"]
assert "gift_note" in asyncapi["Order"]["required"] and "colour" in asyncapi["Item"]["properties"], asyncapi

import collections, jinja2
from app.domain.order_codec import decode_stored
from app.entrypoints.web.page_format import FILTERS
from app.entrypoints.web.unlaid_fields import unlaid_fields

order = decode_stored(serialize(parse_order(json.dumps(OrderFactory(seed=2).order()).encode())).json)
pages = jinja2.Environment(loader=jinja2.PackageLoader("app", "templates"), autoescape=True)
pages.filters.update(FILTERS)
pages.globals["asset"] = collections.defaultdict(str)
page = pages.get_template("order.html").render(order=order, more=unlaid_fields(order))
assert f'>gift_note</dt><dd class="break">{order.gift_note}<' in page, page
assert f'>items[0].colour</dt><dd class="break">{order.items[0].colour}<' in page, page
print("ok")
"""


def with_new_fields(model: str) -> str:
    order_field, item_field = "    oof_shard: Text\n", "    status: Count\n"
    assert model.count(order_field) == 1 and model.count(item_field) == 1, "the test's anchors moved"
    return model.replace(order_field, order_field + "    gift_note: Text\n").replace(
        item_field, item_field + "    colour: Text\n"
    )


def test_a_field_added_to_the_model_alone_reaches_ingest_api_page_generator_and_documents(tmp_path: Path) -> None:
    copy = tmp_path / "app"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    model = copy / "domain" / "model.py"
    model.write_text(with_new_fields(model.read_text()))

    run = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_generated_orders_round_trip_through_parse_and_serialize(seed: int) -> None:
    generated = OrderFactory(seed=seed).order()

    assert orjson.loads(serialize(parse_order(orjson.dumps(generated))).json) == generated
