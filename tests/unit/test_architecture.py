"""The layers, checked on the import graph (grimp, the graph behind import-linter)."""

import ast
from pathlib import Path

import grimp
import pytest

FRAMEWORKS = (
    "aiohttp",
    "aiohttp_jinja2",
    "asyncpg",
    "nats",
    "prometheus_client",
    "dependency_injector",
    "yoyo",
    "psycopg",
    "jinja2",
    "pgserver",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("app", include_external_packages=True)


def modules_of(graph: grimp.ImportGraph, package: str) -> set[str]:
    return {package} | graph.find_descendants(package)


def imports_of(graph: grimp.ImportGraph, package: str) -> set[str]:
    return {
        imported
        for module in modules_of(graph, package)
        for imported in graph.find_modules_directly_imported_by(module)
    }


def test_no_module_imports_a_module_that_imports_it_back(graph: grimp.ImportGraph) -> None:
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append((module, *back))
    assert cycles == []


def test_the_domain_uses_no_framework_and_no_outer_layer(graph: grimp.ImportGraph) -> None:
    imported = imports_of(graph, "app.domain")
    assert not imported & set(FRAMEWORKS)
    assert not {m for m in imported if m.startswith(("app.adapters", "app.entrypoints", "app.embedded"))}


def test_the_domain_imports_nothing_of_the_app_outside_it(graph: grimp.ImportGraph) -> None:
    assert {
        m for m in imports_of(graph, "app.domain") if m.startswith("app.") and not m.startswith("app.domain")
    } == set()


def test_the_service_layer_uses_only_the_domain_the_ports_and_itself(graph: grimp.ImportGraph) -> None:
    imported = imports_of(graph, "app.service_layer")
    ours = {m for m in imported if m.startswith("app.")}
    assert {m for m in ours if not m.startswith(("app.domain", "app.ports", "app.service_layer"))} == set()
    assert not imported & {*FRAMEWORKS, "opentelemetry"}


def test_the_ports_use_only_the_domain(graph: grimp.ImportGraph) -> None:
    ours = {m for m in imports_of(graph, "app.ports") if m.startswith("app.")}
    assert {m for m in ours if not m.startswith(("app.domain", "app.ports"))} == set()
    assert not imports_of(graph, "app.ports") & set(FRAMEWORKS)


def test_adapters_know_no_use_case_no_entrypoint_and_no_development_server(graph: grimp.ImportGraph) -> None:
    imported = imports_of(graph, "app.adapters")
    assert {m for m in imported if m.startswith(("app.service_layer", "app.entrypoints", "app.embedded"))} == set()


def test_only_the_dev_command_starts_embedded_servers(graph: grimp.ImportGraph) -> None:
    users = {
        m
        for m in graph.modules
        if m.startswith("app.")
        and not m.startswith("app.embedded")
        and any(i.startswith("app.embedded") for i in graph.find_modules_directly_imported_by(m))
    }
    assert users == {"app.entrypoints.dev"}


def test_settings_depend_on_pydantic_settings_alone(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_directly_imported_by("app.entrypoints.settings") <= {
        "pydantic",
        "pydantic_settings",
    }


def test_the_web_layer_never_reaches_for_the_container(graph: grimp.ImportGraph) -> None:
    imported = imports_of(graph, "app.entrypoints.web")
    assert "dependency_injector" not in imported and "app.entrypoints.container" not in imported


def imported_names(source: str) -> set[str]:
    """Every module a Python source imports, at any depth of its code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_migrations_import_nothing_of_the_app() -> None:
    """History must not change when the code does: a migration is SQL, or Python of its own."""
    migrations = sorted((Path(__file__).resolve().parents[2] / "migrations").glob("*.py"))
    assert migrations, "no Python migration found: the check would prove nothing"
    imports = {path.name: imported_names(path.read_text()) for path in migrations}
    ours = {name: {m for m in found if m == "app" or m.startswith(("app.", "."))} for name, found in imports.items()}
    assert ours == {name: set() for name in imports}


def test_imported_names_sees_every_form_of_import() -> None:
    source = "import app\nfrom app.adapters import x\nfrom . import y\ndef f():\n    import app.domain\n"
    assert imported_names(source) == {"app", "app.adapters", ".", "app.domain"}
