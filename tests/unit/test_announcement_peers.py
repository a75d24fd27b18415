"""Peers: another instance counts as listening for PEER_TTL after it was last heard."""

from app.adapters.nats_order_announcements import PEER_TTL, Peers


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_instance_heard_lately_listens_and_one_silent_too_long_does_not() -> None:
    clock = Clock()
    peers = Peers(clock)
    assert not peers.listening(), "nobody heard yet"
    assert peers.heard("b") is True, "b is new"
    clock.now += PEER_TTL - 1
    assert peers.listening()
    assert peers.heard("b") is False, "b again, within the time"
    clock.now += PEER_TTL + 1
    assert not peers.listening(), "b went quiet"
    assert peers.heard("b") is True, "b is back: new again"
    assert peers.listening()
