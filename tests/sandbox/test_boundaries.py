import ast
from pathlib import Path

import nav_sandbox

SOURCES = sorted(Path(nav_sandbox.__file__).parent.glob("*.py"))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_sandbox_never_imports_the_adapter() -> None:
    assert SOURCES
    for path in SOURCES:
        assert "adapter" not in _imported(path), path.name


def test_the_sandbox_logs_nothing() -> None:
    # Nothing to leak an ident or token through: no logging, and only the CLI prints.
    for path in SOURCES:
        assert "logging" not in _imported(path), path.name
        assert path.name == "cli.py" or "print(" not in path.read_text(), path.name


def test_public_names() -> None:
    assert sorted(nav_sandbox.__all__) == sorted(
        [
            "CONSENTS",
            "EXPIRED_CONSENT",
            "SHORT_CONSENT",
            "Altinn3Consent",
            "consent_of",
            "GRANT_TYPE",
            "PEOPLE",
            "SAMHANDLERE",
            "UNKNOWN_IDENT",
            "FaultSpec",
            "Person",
            "SandboxConfig",
            "create_app",
            "synthetic_ident",
        ]
    )
    for name in nav_sandbox.__all__:
        assert hasattr(nav_sandbox, name)
