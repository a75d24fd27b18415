"""docker-compose.yml read as data (no Docker engine runs here): the services, how each waits
for the ones before it, the profiles, and no secret written into the file; and as podman-compose
resolves it for each profile."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.dockerfile import stages

ROOT = Path(__file__).resolve().parents[2]
SERVICE_NAMES = {"postgres", "nats", "migrate", "orders", "produce"}
CLUSTER = {"nats-1", "nats-2", "nats-3", "orders-1", "orders-2", "produce-cluster"}
PROFILES: dict[str | None, set[str]] = {
    None: set(),
    "cluster": CLUSTER,
    "observability": {"prometheus", "grafana"},
    "tools": {"nui", "adminer"},
}
PODMAN_COMPOSE = Path(sys.executable).with_name("podman-compose")
INTERPOLATION = re.compile(r"^\$\{[A-Z_]+(:?[-?][^}]*)?\}$")


@pytest.fixture(scope="module")
def compose() -> dict:
    loaded: dict = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    found: dict[str, dict] = compose["services"]
    return found


def profile(service: dict) -> set[str]:
    return set(service.get("profiles", []))


def healthy_when_asked(service: dict) -> bool:
    """It has a healthcheck: its own, or our image's HEALTHCHECK (built from the Dockerfile)."""
    check = service.get("healthcheck")
    if check is not None:
        return not check.get("disable") and bool(check.get("test"))
    return service.get("build") == "." and stages()[-1].last("HEALTHCHECK") is not None


def test_the_default_stack_and_the_cluster_profile(services: dict[str, dict]) -> None:
    assert {name for name, s in services.items() if not profile(s)} == SERVICE_NAMES
    assert {name for name, s in services.items() if profile(s) == {"cluster"}} == CLUSTER
    for name in ("migrate", "orders", "produce", "orders-1", "orders-2", "produce-cluster"):
        assert services[name]["build"] == ".", f"{name} runs the image built from the Dockerfile"
    assert services["migrate"]["command"] == ["orders", "migrate"]
    assert services["produce"]["command"][:2] == ["orders", "produce"]
    assert "command" not in services["orders"], "the image's own CMD: orders serve"


def test_every_wait_names_a_condition_the_waited_for_service_can_meet(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, f"{name} waits for a service that does not exist: {needed}"
            assert profile(services[needed]) <= profile(service), f"{name} waits for {needed} of another profile"
            condition = how["condition"]
            if condition == "service_healthy":
                assert healthy_when_asked(services[needed]), f"{name} waits for {needed} to be healthy: it cannot be"
            else:
                assert condition == "service_completed_successfully", (name, needed)
                assert services[needed]["restart"] == "no", f"{needed} is a one-shot"


def test_what_waits_for_what(services: dict[str, dict]) -> None:
    def waits(name: str) -> dict[str, str]:
        return {needed: how["condition"] for needed, how in services[name]["depends_on"].items()}

    assert waits("migrate") == {"postgres": "service_healthy"}
    assert waits("orders") == {"migrate": "service_completed_successfully", "nats": "service_healthy"}
    assert waits("produce") == {"orders": "service_healthy"}
    for instance in ("orders-1", "orders-2"):
        assert waits(instance) == {
            "migrate": "service_completed_successfully",
            **{f"nats-{n}": "service_healthy" for n in (1, 2, 3)},
        }


def test_postgres_keeps_its_data_and_nats_runs_jetstream_with_its_monitoring_port(
    services: dict[str, dict], compose: dict
) -> None:
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    nats = services["nats"]
    assert "--jetstream" in nats["command"] and "/data" in nats["command"]
    assert nats["command"][nats["command"].index("--http_port") + 1] == "8222"
    assert any(port.endswith(":8222") for port in nats["ports"])
    assert "/healthz" in " ".join(nats["healthcheck"]["test"])
    assert set(compose["volumes"]) >= {"pg-data", "nats-data", "nats-1-data", "nats-2-data", "nats-3-data"}


def test_the_cluster_profile_runs_three_routed_nodes_and_r3_streams(services: dict[str, dict]) -> None:
    conf = (ROOT / "deploy" / "nats" / "cluster.conf").read_text()
    assert all(f"nats://nats-{n}:6222" in conf for n in (1, 2, 3)) and "sync_interval: always" in conf
    names = [services[f"nats-{n}"]["command"] for n in (1, 2, 3)]
    assert [command[command.index("--server_name") + 1] for command in names] == ["nats-1", "nats-2", "nats-3"]
    for instance in ("orders-1", "orders-2", "produce-cluster"):
        environment = services[instance]["environment"]
        assert environment["NATS_URL"] == "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222"
        assert environment["STREAM_REPLICAS"] == 3
    ports = [services[name]["ports"][0].rsplit(":", 1) for name in ("orders", "orders-1", "orders-2")]
    assert len({host for host, _ in ports}) == 3 and {inner for _, inner in ports} == {"8080"}


def test_no_secret_is_written_into_the_file_and_the_example_env_names_each(services: dict[str, dict]) -> None:
    example = (ROOT / ".env.example").read_text()
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            text = str(value)
            if re.search("PASSWORD|SECRET|TOKEN", key):
                assert INTERPOLATION.match(text), f"{name}: {key} must come from .env"
            literal = re.sub(r"\$\{[^}]*\}", "", text)  # what is left once .env's values are taken out
            assert not re.search(r"://[^/@]*:[^/@]+@", literal), f"{name}: {key} carries a password written in the file"
    for variable in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert re.search(rf"^{variable}=", example, re.MULTILINE), variable
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_only_the_services_own_ports_are_published_beyond_this_host(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            if service.get("build") == ".":
                published = re.sub(r"\$\{[^}]*\}", "PORT", port)  # the host port a variable chooses
                assert published.count(":") == 1, f"{name}: the service answers on every interface"
            else:
                assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this host"


def test_the_tools_profile_has_a_web_ui_for_nats_and_one_for_postgresql(services: dict[str, dict]) -> None:
    assert {name for name, s in services.items() if profile(s) == {"tools"}} == PROFILES["tools"]
    assert services["nui"]["image"].startswith("ghcr.io/nats-nui/nui:")
    assert services["adminer"]["image"].startswith("adminer:")
    assert services["adminer"]["environment"]["ADMINER_DEFAULT_SERVER"] == "postgres"
    guide = (ROOT / "docs" / "deployment.md").read_text()
    for name in ("nui", "adminer"):
        host_port = re.fullmatch(r"127\.0\.0\.1:\$\{[A-Z_]+:-(\d+)\}:\d+", services[name]["ports"][0])
        assert host_port, services[name]["ports"]
        assert f"http://127.0.0.1:{host_port.group(1)}" in guide, f"docs/deployment.md gives {name}'s address"


def test_grafana_alone_requires_its_password(services: dict[str, dict]) -> None:
    """Its entrypoint refuses an empty password (Grafana would take "admin"), then runs the image's own."""
    shell, flag, script = services["grafana"]["entrypoint"]
    assert (shell, flag) == ("/bin/sh", "-c") and script.endswith("exec /run.sh")
    script = script.replace("$$", "$")  # compose's escape of a literal $

    def run(password: str) -> subprocess.CompletedProcess[str]:
        environment = {"PATH": os.environ["PATH"], "GF_SECURITY_ADMIN_PASSWORD": password}
        return subprocess.run(["sh", "-c", script], env=environment, capture_output=True, text=True, timeout=10)

    refused = run("")
    assert refused.returncode == 1 and "set GRAFANA_ADMIN_PASSWORD in .env" in refused.stderr
    passed = run("chosen")
    assert passed.returncode == 127 and "GRAFANA_ADMIN_PASSWORD" not in passed.stderr, "it went on to /run.sh"


def podman_compose_config(env_file: Path, *profiles: str) -> subprocess.CompletedProcess[str]:
    """What podman-compose makes of the file (--dry-run: podman itself is not asked)."""
    command = [str(PODMAN_COMPOSE), "--dry-run", "-f", str(ROOT / "docker-compose.yml"), "--env-file", str(env_file)]
    command += [word for name in profiles for word in ("--profile", name)]
    environment = {"PATH": os.environ["PATH"]}  # no variable of this process's stands in for .env's
    return subprocess.run([*command, "config"], env=environment, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("profiles", [[], *([name] for name in PROFILES if name), [name for name in PROFILES if name]])
def test_podman_compose_resolves_any_profiles_with_only_the_database_credentials(
    profiles: list[str], tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_USER=orders\nPOSTGRES_PASSWORD=chosen\n")
    resolved = podman_compose_config(env_file, *profiles)
    assert resolved.returncode == 0, resolved.stderr[-2000:]
    services = yaml.safe_load(resolved.stdout)["services"]
    assert set(services) == SERVICE_NAMES.union(*(PROFILES[name] for name in profiles))
    assert services["orders"]["environment"]["DATABASE_URL"] == "postgresql://orders:chosen@postgres:5432/orders"


def test_podman_compose_resolves_the_example_env_and_refuses_no_database_password(tmp_path: Path) -> None:
    resolved = podman_compose_config(ROOT / ".env.example", *(name for name in PROFILES if name))
    assert resolved.returncode == 0, resolved.stderr[-2000:]
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_USER=orders\n")
    refused = podman_compose_config(env_file)
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr
