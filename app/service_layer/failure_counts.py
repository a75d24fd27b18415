"""How often handling each message failed for an unexpected reason, in this process."""

from collections import OrderedDict

from app.ports.order_messages import OrderMessage


class FailureCounts:
    """How many times handling each message failed for an unexpected reason, in this process.

    JetStream's delivery count cannot say it: naks during an outage add to it too.
    A message is known by its stream sequence and a hash of its bytes; only the
    ``remember`` most recent are kept (a message that succeeds is simply never
    counted again), so the memory stays bounded.
    """

    def __init__(self, remember: int = 10_000) -> None:
        self._counts: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._remember = remember

    def add(self, message: OrderMessage) -> int:
        """One more failure of ``message``; how many it has had."""
        key = (message.stream_sequence, hash(message.data))
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count
        while len(self._counts) > self._remember:
            self._counts.popitem(last=False)
        return count

    def forget(self, message: OrderMessage) -> None:
        self._counts.pop((message.stream_sequence, hash(message.data)), None)

    def __len__(self) -> int:
        return len(self._counts)
