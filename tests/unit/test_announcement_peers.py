"""Peers: another instance counts as listening for PEER_TTL after it was last heard."""

from app.adapters.nats_order_announcements import MAX_PEERS, PEER_TTL, Peers


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


def test_at_most_max_peers_are_kept_and_room_is_made_by_those_gone_quiet() -> None:
    clock = Clock()
    peers = Peers(clock)
    assert all(peers.heard(f"made-up-{n}") for n in range(MAX_PEERS))
    assert peers.heard("one-more") is False, "not noted: no room"
    clock.now += PEER_TTL + 1
    assert peers.heard("one-more") is True, "the others went quiet"
    assert peers.listening()
