"""Where the tests find the canonical sample order.

The project ships a copy (the ``dev`` command publishes it); the shared
fixture beside the project is the source, and test_sample_copy checks the copy.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PATH = ROOT / "app" / "entrypoints" / "order-sample.json"
SHARED_SAMPLE_PATH = ROOT.parent / "shared" / "fixtures" / "order-sample.json"
