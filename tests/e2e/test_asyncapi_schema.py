"""The AsyncAPI document against the AsyncAPI 3.0 JSON schema, as the AsyncAPI initiative ships it.

The schema comes from the npm package ``@asyncapi/specs`` (no PyPI package ships it);
``scripts/ensure-asyncapi-schema.sh`` fetches it once into ``.cache/asyncapi/``
(``make test`` runs it first; this test runs it when the file is missing).
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from app.entrypoints.asyncapi_document import document
from tests.servers import isolated_settings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / ".cache" / "asyncapi" / "3.0.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    if not SCHEMA.is_file():
        subprocess.run(["sh", str(ROOT / "scripts" / "ensure-asyncapi-schema.sh")], check=True, timeout=300)
    schema: dict[str, Any] = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_document_is_valid_asyncapi_3(validator: jsonschema.Draft7Validator) -> None:
    doc = document(isolated_settings("nats://unused", "postgresql://unused"))
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]
    assert errors == []


def test_the_schema_catches_a_broken_document(validator: jsonschema.Draft7Validator) -> None:
    """The validation is real: a misspelt field or a wrong action is an error."""
    doc = document(isolated_settings("nats://unused", "postgresql://unused"))
    doc["channels"]["orders"]["adress"] = doc["channels"]["orders"].pop("address")
    doc["operations"]["ingestOrders"]["action"] = "consume"
    assert len(list(validator.iter_errors(doc))) >= 2
