"""The packaged sample order is the shared canonical one."""

import json

import pytest

from tests.sample_order import SAMPLE_PATH, SHARED_SAMPLE_PATH


@pytest.mark.skipif(not SHARED_SAMPLE_PATH.exists(), reason="no ../shared beside this checkout")
def test_packaged_sample_equals_the_shared_fixture() -> None:
    assert json.loads(SAMPLE_PATH.read_bytes()) == json.loads(SHARED_SAMPLE_PATH.read_bytes())
