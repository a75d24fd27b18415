"""Cycle-collector settings for a service that allocates in bursts.

Each ingested batch makes thousands of short-lived objects that reference
counting frees on its own; with CPython's default generation-0 threshold (700)
the cycle collector would still run dozens of times per batch and walk them
all (``docs/performance.md``). Objects made during startup live as long as the
process, so they are frozen out of every later collection.
"""

import gc

GENERATION_0_THRESHOLD = 50_000


def collect_less_often() -> None:
    """Raise the generation-0 threshold; the older generations keep their ratios."""
    _, generation_1, generation_2 = gc.get_threshold()
    gc.set_threshold(GENERATION_0_THRESHOLD, generation_1, generation_2)


def freeze_startup_objects() -> None:
    """Move everything alive now (modules, app, warm cache) out of the collector's sight."""
    gc.collect()
    gc.freeze()
