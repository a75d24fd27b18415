"""The image, built once per run from this checkout by ``make image-test``, on ``PYTHON_IMAGE`` when it
is set, else on the stand-in base (base_image.py). The suite's NATS and PostgreSQL are the tests'."""

import os
from pathlib import Path

import pytest

from tests.image.base_image import stand_in_base
from tests.image.engine import Engine, detect

ROOT = Path(__file__).resolve().parents[2]
TAG = "localhost/order-service:image-test"  # left behind to be run by hand; the tests run its id


@pytest.fixture(scope="session")
def engine() -> Engine:
    return detect()


@pytest.fixture(scope="session")
def image(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    base = os.environ.get("PYTHON_IMAGE") or stand_in_base(engine)
    iid_file = tmp_path_factory.mktemp("image") / "iid"
    return engine.build(ROOT, TAG, {"PYTHON_IMAGE": base}, iid_file)
