"""The ``observability`` profile: alert rules promtool accepts and that fire as meant, and a dashboard
and rules whose queries name only metrics the service really exports.

The exported names come from scraping the web app (the real container over fakes,
the real Prometheus metrics) after traffic of every kind: lookups, a page, a
submission ingested, a dead letter.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.entrypoints.bootstrap import create_app
from tests.unit.fake_container import AUTHORIZED, Fakes, fake_container
from tests.unit.fakes import FakeMessage, wait_until
from tests.unit.sample import order_doc, serialized, to_bytes
from tests.unit.web.conftest import Client  # the type of a client of the app

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
RULES = OBSERVABILITY / "alerts" / "order-service.rules.yml"
RULE_TESTS = OBSERVABILITY / "alerts" / "order-service.rules.test.yml"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "order-service.json"
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


@pytest.fixture(scope="module")
def promtool() -> str:
    if shutil.which("promtool") is None:
        subprocess.run(["sh", str(ROOT / "scripts" / "ensure-promtool.sh")], check=True, timeout=600)
    found = shutil.which("promtool")
    assert found is not None, "scripts/ensure-promtool.sh did not install promtool"
    return found


def test_promtool_accepts_the_rules(promtool: str) -> None:
    checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rules = sum(len(group["rules"]) for group in yaml.safe_load(RULES.read_text())["groups"])
    assert rules >= 6 and f"SUCCESS: {rules} rules found" in checked.stdout


def test_each_alert_fires_when_it_should_and_not_before(promtool: str) -> None:
    tested = subprocess.run(
        [promtool, "test", "rules", RULE_TESTS.name], capture_output=True, text=True, cwd=RULE_TESTS.parent
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    assert alerts == {case["alertname"] for test in tests for case in test["alert_rule_test"]}


def dashboard_queries() -> dict[str, str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return {f"{p['title']} ({t['refId']})": t["expr"] for p in panels for t in p["targets"]}


def rule_queries() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def metric_names(query: str) -> set[str]:
    for variable, value in GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    names: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name or "<a selector without a metric name>")
        return True

    promql_parser.walk(promql_parser.parse(query), visit)
    return names


@pytest.fixture
def fakes() -> Fakes:
    fakes = Fakes()
    fakes.source.idle_wait = 0.01
    fakes.publisher.deliver_to = fakes.source  # what is published is ingested
    fakes.repository.preload(serialized(order_doc("stored")))
    return fakes


@pytest.fixture
async def client(aiohttp_client: Any, fakes: Fakes) -> Client:
    """The web app as the real container builds it over fakes, with the real Prometheus metrics."""
    container = fake_container(fakes, ingest_fetch_seconds=0.01)
    client: Client = await aiohttp_client(await create_app(container), headers=AUTHORIZED)
    await wait_until(container.service().is_ready)
    return client


async def exported_names(client: Client, fakes: Fakes) -> set[str]:
    await client.get("/api/orders/stored")  # a cached hit
    await client.get("/api/orders/missing")  # a miss
    await client.get("/orders/stored")  # a page
    body = to_bytes(order_doc("submitted"))
    assert (
        await client.post("/api/orders?wait=2", data=body, headers={"Content-Type": "application/json"})
    ).status == 201
    fakes.source.queue.append([FakeMessage(b"{not json", stream_sequence=99)])
    await wait_until(lambda: bool(fakes.dead_letters.letters), timeout=5)
    text = await (await client.get("/metrics")).text()
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


async def test_the_dashboard_and_the_rules_name_only_exported_metrics(client: Client, fakes: Fakes) -> None:
    exported = await exported_names(client, fakes)
    queries = {**dashboard_queries(), **rule_queries()}
    used = {name: metric_names(query) for name, query in queries.items()}
    assert all(used.values()), [name for name, names in used.items() if not names]
    unknown = {name: sorted(names - exported) for name, names in used.items() if names - exported}
    assert unknown == {}, f"not exported: {unknown}; exported: {sorted(exported)}"
    every = set().union(*used.values())
    for metric in ("orders_ingested_total", "orders_consumer_pending", "orders_dead_lettered_total", "orders_ready"):
        assert metric in every


def test_the_dashboard_shows_what_an_operator_watches() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    titles = {panel["title"] for panel in dashboard["panels"]}
    for needed in (
        "Ingest rate",
        "Batch latency",
        "Consumer lag",
        "Dead letters by reason",
        "Cache hit ratio",
        "HTTP latency by route (p99)",
    ):
        assert needed in titles
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    datasource = yaml.safe_load((OBSERVABILITY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    assert {t["datasource"]["uid"] for p in dashboard["panels"] for t in p["targets"]} == {uid}


def test_the_compose_profile_runs_prometheus_and_grafana_provisioned_from_the_repo() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        service = services[name]
        assert service["profiles"] == ["observability"]
        assert "healthcheck" in service
        for mount in service["volumes"]:
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), mount
            else:
                assert source in compose["volumes"], mount
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"
    password = services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    # from .env, never inline; required by Grafana's entrypoint alone (test_compose.py), not by every profile
    assert password == "${GRAFANA_ADMIN_PASSWORD:-}", "from .env, never inline"
    prometheus = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    assert prometheus["rule_files"] == ["/etc/prometheus/rules/*.rules.yml"]
    assert RULES.name.endswith(".rules.yml") and not RULE_TESTS.name.endswith(".rules.yml")
    assert orjson.loads(DASHBOARD.read_bytes())["uid"] == "order-service"
