"""Answers proxies and browsers may keep: ETags, Cache-Control, 304s, and pages rendered once."""

import re

import pytest
from dependency_injector import providers

from app.entrypoints.container import Container
from tests.unit.fake_container import Fakes
from tests.unit.fakes import FakeCache, FakeTimings
from tests.unit.sample import order_doc, serialized
from tests.unit.web.conftest import Client

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def fakes(fakes: Fakes) -> Fakes:
    fakes.repository.preload(*(serialized(order_doc(f"o{n}")) for n in range(1, 4)))
    return fakes


@pytest.fixture
def pages() -> FakeCache:
    return FakeCache()


@pytest.fixture
def container(container: Container, pages: FakeCache) -> Container:
    container.page_cache.override(providers.Object(pages))
    return container


async def test_a_stored_order_is_immutable_with_an_etag_from_its_uid(client: Client, fakes: Fakes) -> None:
    late = serialized(order_doc("late"))
    fakes.repository.preload(late)  # not warmed: read through, then hot
    for path, uid in (("/api/orders/o1", "o1"), ("/api/orders/late", "late"), ("/api/orders/late", "late")):
        for method in ("GET", "HEAD"):
            response = await client.request(method, path)
            assert response.status == 200
            assert response.headers["ETag"] == f'"j1-{uid}"'
            assert response.headers["Cache-Control"] == IMMUTABLE
            assert response.headers["Content-Type"] == "application/json"
    assert fakes.repository.calls["get_json"] == 1


@pytest.mark.parametrize(
    "if_none_match",
    ['"j1-o2"', 'W/"j1-o2"', '"other", "j1-o2"', '"other",W/"j1-o2"', "*"],
)
async def test_if_none_match_naming_the_order_gets_a_304(client: Client, if_none_match: str) -> None:
    for path in ("/api/orders/o2", "/api/orders/o2"):
        response = await client.get(path, headers={"If-None-Match": if_none_match})
        assert response.status == 304
        assert await response.read() == b""
        assert response.headers["ETag"] == '"j1-o2"' and response.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("if_none_match", ['"j1-o1"', '"j2-o2"', "j1-o2", '""'])
async def test_if_none_match_naming_another_copy_gets_the_order(client: Client, if_none_match: str) -> None:
    response = await client.get("/api/orders/o2", headers={"If-None-Match": if_none_match})
    assert response.status == 200 and response.headers["ETag"] == '"j1-o2"'
    assert await response.json() == order_doc("o2")


async def test_answers_that_may_change_are_not_stored(client: Client, fakes: Fakes) -> None:
    assert (await client.get("/api/orders/missing")).headers["Cache-Control"] == "no-store"
    assert (await client.get("/orders/missing")).headers["Cache-Control"] == "no-store"
    fakes.repository.down = True
    assert (await client.get("/api/orders/unknown")).headers["Cache-Control"] == "no-store"
    assert (await client.get("/orders/unknown")).headers["Cache-Control"] == "no-store"


async def test_an_order_page_is_rendered_once_and_kept(client: Client, pages: FakeCache, container: Container) -> None:
    first = await client.get("/orders/o3")
    assert first.status == 200 and first.content_type == "text/html"
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"h[0-9a-f]{12}-o3"', etag) and first.headers["Cache-Control"] == IMMUTABLE
    html = await first.read()
    for method in ("GET", "GET", "HEAD"):
        again = await client.request(method, "/orders/o3")
        assert again.status == 200 and again.headers["ETag"] == etag
        assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
        if method == "GET":
            assert await again.read() == html
    assert pages.puts == ["o3"], "rendered once"
    not_modified = await client.get("/orders/o3", headers={"If-None-Match": etag})
    assert not_modified.status == 304 and not_modified.headers["ETag"] == etag
    timings = container.metrics().http
    assert not isinstance(timings, FakeTimings)
    (family,) = timings.collect()
    counted = {
        (sample.labels["route"], sample.labels["method"], sample.labels["status"]): sample.value
        for sample in family.samples
        if sample.name.endswith("_count")
    }
    assert counted[("/orders/{order_uid}", "GET", "200")] == 3  # the first render and two kept pages
