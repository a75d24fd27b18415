"""The packaged sample order is the shared canonical one.

The canonical order's content is pinned by a digest, so the packaged copy is
checked on every run, with or without ``../shared`` beside the checkout; where
``../shared`` is there, the fixture must still be that same order (if it has
changed, the copy and the digest are stale).
"""

import hashlib
import json
from pathlib import Path

from tests.sample_order import SAMPLE_PATH, SHARED_SAMPLE_PATH

# SHA-256 of ../shared/fixtures/order-sample.json as JSON with sorted keys.
CANONICAL_SAMPLE_SHA256 = "56bd925913fbbc99ada7bfdedf3fc8e4539e9f483236b6dd048079ae1908670a"


def content_digest(path: Path) -> str:
    document = json.loads(path.read_bytes())
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def test_packaged_sample_is_the_canonical_order() -> None:
    assert content_digest(SAMPLE_PATH) == CANONICAL_SAMPLE_SHA256
    if SHARED_SAMPLE_PATH.exists():
        assert content_digest(SHARED_SAMPLE_PATH) == CANONICAL_SAMPLE_SHA256, (
            "../shared's sample changed: update app/entrypoints/order-sample.json and the digest"
        )
