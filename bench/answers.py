"""The cached lookup's ceiling must give the service's answers: same status, headers and body.

Only the Date may differ. The bench reads the service's answers first, hands the
bare app the headers the service chose (``shared_headers``: its ETag names the
uid, so the bare app makes each uid's own), and checks the bare app's answers,
uid by uid, against them before any load.
"""

import random

import aiohttp

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, raw headers but the Date, body
SET_BY_AIOHTTP = {b"date", b"content-length"}  # per response, by aiohttp itself, on both sides
UID_FIELD = "{order_uid}"  # in a header value of ``shared_headers``: the uid of the answer


def sample_uids(bodies: dict[str, bytes], count: int = 50) -> list[str]:
    return random.sample(list(bodies), min(count, len(bodies)))


async def answers(base: str, uids: list[str]) -> list[Answer]:
    """``GET /api/orders/{uid}`` for each uid: its status, raw headers (in order, but the Date) and body."""
    found = []
    async with aiohttp.ClientSession() as http:
        for uid in uids:
            async with http.get(f"{base}/api/orders/{uid}") as response:
                headers = [(name, value) for name, value in response.raw_headers if name.lower() != b"date"]
                found.append((response.status, headers, await response.read()))
    return found


def check_bodies(found: list[Answer], uids: list[str], bodies: dict[str, bytes]) -> None:
    """The service answers each uid with 200 and the very bytes stored for it."""
    for uid, (status, _, body) in zip(uids, found, strict=True):
        if status != 200 or body != bodies[uid]:
            raise RuntimeError(f"the service's answer for {uid} differs from the stored bytes")


def shared_headers(found: list[Answer], uids: list[str]) -> list[tuple[str, str]]:
    """The headers the service sets on its answers itself (Content-Type, security, caching, its
    ``Server`` name), in its order; in the ETag, the answer's uid is written ``UID_FIELD``."""
    _, headers, _ = found[0]
    shared = []
    for raw_name, raw_value in headers:
        name, value = raw_name.decode(), raw_value.decode()
        if raw_name.lower() in SET_BY_AIOHTTP:
            continue
        shared.append((name, value.replace(uids[0], UID_FIELD) if name.lower() == "etag" else value))
    return shared
