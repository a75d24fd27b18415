"""The announcements' bodies: the uids of the stored orders, at most MAX_UIDS a body; nothing else read."""

import orjson
import pytest

from app.domain.announced_uids import MAX_BODY, MAX_UIDS, NotAnAnnouncement, announced_uids, announcement_bodies

UIDS = [f"ann-{n}" for n in range(1, 2501)]


def test_a_batch_is_split_into_bodies_of_at_most_max_uids_with_every_uid_once_in_order() -> None:
    bodies = list(announcement_bodies(UIDS))
    assert [len(orjson.loads(body)) for body in bodies] == [MAX_UIDS, MAX_UIDS, 500]
    assert [uid for body in bodies for uid in announced_uids(body)[0]] == UIDS


def test_a_body_is_a_json_array_of_the_uids_and_nothing_else() -> None:
    assert list(announcement_bodies(["a-1", "b_2"])) == [b'["a-1","b_2"]']
    assert list(announcement_bodies([])) == []


def test_a_body_of_max_uids_at_their_longest_is_taken_and_one_byte_more_is_not() -> None:
    longest = [f"{n:064d}" for n in range(MAX_UIDS)]
    (body,) = announcement_bodies(longest)
    assert len(body) == MAX_BODY - 1  # no comma after the last uid
    assert announced_uids(body) == (longest, 0)
    with pytest.raises(NotAnAnnouncement, match="more than"):
        announced_uids(b" " * (MAX_BODY + 1))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"order_uid": "a"}',
        b"[1, 2]",
        b'[{"order_uid": "a"}]',
        b'"a"',
        orjson.dumps([f"u{n}" for n in range(MAX_UIDS + 1)]),
        b'["a"',
    ],
)
def test_what_is_not_an_array_of_at_most_max_uids_strings_is_not_an_announcement(body: bytes) -> None:
    with pytest.raises(NotAnAnnouncement):
        announced_uids(body)


def test_strings_that_are_not_order_uids_are_left_out_and_counted() -> None:
    body = orjson.dumps(["ok-1", "", "a b", "x" * 65, "bad\n", "é", "ok_2"])
    assert announced_uids(body) == (["ok-1", "ok_2"], 5)
