"""The package rules: contracts has no I/O and depends on nothing of ours; the sandbox never
imports the adapter; only the settings modules read the environment."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CONTRACTS_MAY_IMPORT = {"pydantic", "pydantic_core", "contracts", "orjson"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)


@pytest.mark.parametrize("path", sorted((ROOT / "contracts").rglob("*.py")), ids=lambda p: p.name)
def test_contracts_import_only_pydantic_and_the_standard_library(path: Path) -> None:
    foreign = _imports(path) - _stdlib() - CONTRACTS_MAY_IMPORT
    assert not foreign, f"{path.name} imports {foreign}"


@pytest.mark.parametrize("path", sorted((ROOT / "nav_sandbox").rglob("*.py")), ids=lambda p: p.name)
def test_the_sandbox_never_imports_the_adapter(path: Path) -> None:
    assert "adapter" not in _imports(path)


def test_only_settings_modules_read_the_environment() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("adapter", "contracts")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "settings.py" and ("os.environ" in path.read_text() or "getenv" in path.read_text())
    ]
    assert not offenders
