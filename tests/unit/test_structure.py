"""The package rules, read from the source with `ast`: contracts has no I/O and depends on nothing
of ours; the runtime never imports the sandbox or the development tools; no import circles; only
the settings modules read the environment; every Kafka client is built from the one connection."""

import ast
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("adapter", "nav_lookup_contracts", "nav_sandbox", "devtools", "bench", "examples")
CONTRACTS_MAY_IMPORT = {"pydantic", "pydantic_core", "nav_lookup_contracts"}
KAFKA_CLIENTS = {"AIOKafkaConsumer", "AIOKafkaProducer", "AIOKafkaAdminClient", "KafkaBroker"}


def _package_dir(name: str) -> Path:
    """Where package `name`'s source is: the contracts live in a distribution of their own."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, name
    return Path(next(iter(spec.submodule_search_locations)))


PACKAGE_DIRS = {name: _package_dir(name) for name in PACKAGES}


def _module_name(path: Path) -> str:
    package = next(name for name, where in PACKAGE_DIRS.items() if path.is_relative_to(where))
    parts = [package, *path.relative_to(PACKAGE_DIRS[package]).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in PACKAGE_DIRS[package].rglob("*.py"))


MODULES = {_module_name(p): p for p in _sources(*PACKAGES)}
# Parsed while the tests are collected: CPython 3.11's parser can fail once a test has changed the
# recursion limit (hypothesis does), which says nothing about the code read.
TREES = {p: ast.parse(p.read_text()) for p in MODULES.values()}


def _imported(path: Path) -> Iterator[str]:
    """Every module `path` imports, at any depth of the file (TYPE_CHECKING blocks included)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(TREES[path]):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from adapter.kafka import clients` imports the module adapter.kafka.clients.
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in MODULES else base


def _ours(name: str) -> str | None:
    """The module of ours that importing `name` loads last, if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        graph[module] = {dep for name in _imported(path) if (dep := _ours(name)) and dep != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_a_circle_where_there_is_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_between_modules() -> None:
    assert _cycles(_graph()) == []


def test_no_import_circle_between_packages() -> None:
    packages: dict[str, set[str]] = {}
    for module, deps in _graph().items():
        top = module.split(".")[0]
        packages.setdefault(top, set()).update(d.split(".")[0] for d in deps if d.split(".")[0] != top)
    assert _cycles(packages) == []


def _top_level_imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported(path) if name}


@pytest.mark.parametrize("path", _sources("adapter"), ids=lambda p: _module_name(p))
def test_the_runtime_never_imports_the_sandbox_or_the_development_tools(path: Path) -> None:
    assert not _top_level_imports(path) & {"nav_sandbox", "devtools", "bench", "tests"}


@pytest.mark.parametrize("path", _sources("nav_sandbox"), ids=lambda p: _module_name(p))
def test_the_sandbox_never_imports_the_adapter_or_the_development_tools(path: Path) -> None:
    assert not _top_level_imports(path) & {"adapter", "devtools", "bench", "tests"}


@pytest.mark.parametrize("path", _sources("nav_lookup_contracts"), ids=lambda p: _module_name(p))
def test_contracts_import_only_pydantic_and_the_standard_library(path: Path) -> None:
    foreign = _top_level_imports(path) - set(sys.stdlib_module_names) - CONTRACTS_MAY_IMPORT
    assert not foreign, f"{path.name} imports {foreign}"


def test_the_embedded_broker_is_no_runtime_dependency() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any("calfkit" in dependency for dependency in project["dependencies"])
    assert any("calfkit" in dependency for dependency in project["optional-dependencies"]["dev"])


def test_only_settings_modules_read_the_environment() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _sources("adapter", "nav_lookup_contracts")
        if path.name != "settings.py" and ("os.environ" in path.read_text() or "getenv" in path.read_text())
    ]
    assert not offenders


def test_every_kafka_client_is_built_from_the_one_connection() -> None:
    """Outside `adapter/kafka/clients.py`, no code of the adapter or its tools builds a client."""
    offenders = []
    for path in _sources("adapter", "devtools"):
        if path == ROOT / "adapter" / "kafka" / "clients.py":
            continue
        for node in ast.walk(TREES[path]):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in KAFKA_CLIENTS:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert not offenders
