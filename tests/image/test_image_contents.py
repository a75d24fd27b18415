"""What the built image holds: the readiness HEALTHCHECK survived the build, an unprivileged user,
and in the service's venv nothing to build or install with."""

import json

import pytest

from tests.image.container import run_once
from tests.image.engine import Engine

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]  # the first to run waits for the build

# Run in the image: what a shell could find of compilers and installers, and what the venv holds.
SURVEY = """
import importlib.metadata, importlib.util, json, os, shutil, sys
print(json.dumps({
    "uid": os.getuid(), "gid": os.getgid(), "prefix": sys.prefix,
    "tools": sorted(t for t in ("cc", "gcc", "g++", "c++", "clang", "pip", "pip3") if shutil.which(t)),
    "modules": sorted(m for m in ("pip", "setuptools", "wheel") if importlib.util.find_spec(m)),
    "distributions": sorted(d.metadata["Name"].lower() for d in importlib.metadata.distributions()),
    "bin": sorted(os.listdir(os.path.join(sys.prefix, "bin"))),
}))
"""


def test_the_healthcheck_asks_for_readiness_and_survived_the_build(engine: Engine, image: str) -> None:
    found = engine("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image).stdout
    check = json.loads(found)
    assert check is not None, "no HEALTHCHECK in the image: built in the OCI format?"
    assert check["Test"][0] == "CMD" and "/readyz" in " ".join(check["Test"])
    assert check["StartPeriod"] > 0 and check["Retries"] >= 1


def test_it_runs_as_uid_10001_with_no_compiler_pip_or_setuptools(engine: Engine, image: str) -> None:
    survey = run_once(engine, image, {}, "python", "-c", SURVEY)
    assert survey.returncode == 0, survey.stderr
    found = json.loads(survey.stdout)
    assert (found["uid"], found["gid"]) == (10001, 10001)
    assert found["prefix"] == "/opt/orders", "the service's venv comes first on the PATH"
    assert found["tools"] == [] and found["modules"] == []
    assert not {"pip", "setuptools", "wheel"} & set(found["distributions"])
    assert "order-service" in found["distributions"] and "gunicorn" in found["distributions"]
    assert not [name for name in found["bin"] if name.startswith(("pip", "easy_install"))]
