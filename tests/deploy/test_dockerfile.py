"""The image's Dockerfile: hadolint finds nothing, and it is built the way the docs say.

No Docker engine runs here; ``tests/deploy/test_wheel.py`` builds the wheel
from exactly the files this Dockerfile copies, as its first stage does.
"""

import subprocess
import sys
from pathlib import Path

from tests.deploy.dockerfile import DOCKERFILE, ROOT, copied_sources, exec_form, stages

HADOLINT = Path(sys.executable).with_name("hadolint")


def test_hadolint_finds_nothing_not_even_a_style_note() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "style", "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_stages_and_only_the_installed_venv_reaches_the_image() -> None:
    build, image = stages()
    assert build.name == "build" and build.base == image.base == "${PYTHON_IMAGE}"
    assert set(copied_sources(build)) == {
        "requirements.lock",
        "pyproject.toml",
        "README.md",
        "templates",
        "migrations",
        "app",
    }
    assert copied_sources(image) == [], "the final stage copies nothing from the context"
    assert image.all("COPY") == ["--from=build /opt/orders /opt/orders"]


def test_the_locked_packages_then_the_wheel_alone_into_a_venv_without_pip() -> None:
    """Every third-party package pinned and hashed (requirements.lock); the project's own wheel with
    no dependencies of its own choosing; pip and setuptools never in the service's venv."""
    runs = [" ".join(run.split()) for run in stages()[0].all("RUN")]
    assert any("venv --without-pip /opt/orders" in run for run in runs)
    locked = [run for run in runs if "--require-hashes --requirement requirements.lock" in run]
    assert len(locked) == 1 and "--python /opt/orders/bin/python install --no-cache-dir" in locked[0]
    (wheel,) = [run for run in runs if "pip wheel" in run]
    assert "--no-deps" in wheel and "install --no-cache-dir --disable-pip-version-check --no-deps /wheels/" in wheel
    assert runs.index(locked[0]) < runs.index(wheel) and "check" in wheel.rsplit("&&", 1)[1]


def test_the_image_runs_orders_serve_as_an_unprivileged_user_and_checks_readiness() -> None:
    image = stages()[-1]
    user = image.last("USER")
    assert user is not None and user.split(":")[0] not in ("0", "root") and user.split(":")[0].isdigit()
    assert exec_form(image.last("CMD") or "") == ["orders", "serve"]
    healthcheck = image.last("HEALTHCHECK") or ""
    assert "/readyz" in healthcheck and "--start-period=" in healthcheck
    assert image.last("STOPSIGNAL") == "SIGTERM"
    assert "8080" in (image.last("EXPOSE") or "")


def test_the_build_context_keeps_what_the_build_copies() -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and line[0] != "#"
    }
    for source in copied_sources(stages()[0]):
        assert source not in ignored and (ROOT / source).exists(), source
    assert {".git", ".venv", ".env", "tests"} <= ignored, "no history, no local venv, no secrets in the context"
