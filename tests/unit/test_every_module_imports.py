"""Every module of ``app`` imports, the lazily imported ones too.

Run on the lowest versions that pyproject.toml allows (``make lowest``), this is what
catches a name an old release lacks: aiohttp before 3.14.4 has no
``hdrs.X_CONTENT_TYPE_OPTIONS``, so ``aiohttp>=3.10`` was not a true bound.
"""

import importlib
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"


def module_names() -> list[str]:
    """The dotted names of app's .py files (app/migrations' steps are files yoyo reads, not modules)."""
    names = []
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if all(part.isidentifier() for part in parts):
            names.append(".".join(parts))
    return sorted(names)


def test_every_layer_is_found() -> None:
    names = module_names()
    assert len(names) > 50
    for layer in ("app.domain", "app.ports", "app.adapters", "app.entrypoints", "app.embedded"):
        assert any(name.startswith(layer + ".") for name in names), layer


@pytest.mark.parametrize("name", module_names())
def test_the_module_imports(name: str) -> None:
    importlib.import_module(name)
