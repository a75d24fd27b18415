"""The progress bar of ``orders dlq replay``: tqdm on stderr, for runs long enough to want one."""

import sys
from types import TracebackType
from typing import Never

from tqdm import tqdm

SHOWN_FROM = 1000  # letters: a shorter replay is over before a bar would say anything


class ReplayProgress:
    """Called with (settled, selected) after each letter; shows a bar on a terminal from SHOWN_FROM letters."""

    def __init__(self) -> None:
        self._bar: tqdm[Never] | None = None

    def __call__(self, settled: int, selected: int) -> None:
        if self._bar is None:
            if selected < SHOWN_FROM:
                return
            self._bar = tqdm(total=selected, unit="letter", file=sys.stderr, disable=None)  # None: only on a tty
        self._bar.update(settled - self._bar.n)

    def __enter__(self) -> "ReplayProgress":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()
