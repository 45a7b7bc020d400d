"""The contracts distribution's version moves with the wire: each version records the digest of
its JSON Schemas, and the current schemas must be those of the current version."""

import hashlib
import json
import tomllib
from pathlib import Path

from nav_lookup_contracts.schema import all_schemas

PROJECT = Path(__file__).parents[2] / "contracts" / "pyproject.toml"


def wire_digest() -> str:
    text = json.dumps(all_schemas(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_schemas_are_those_of_the_current_version() -> None:
    config = tomllib.loads(PROJECT.read_text())
    version = config["project"]["version"]
    digests: dict[str, str] = config["tool"]["nav-lookup-contracts"]["wire-digests"]
    assert digests.get(version) == wire_digest(), (
        f"the schemas changed: bump the version in {PROJECT.name} and record "
        f'"<new version>" = "{wire_digest()}" under [tool.nav-lookup-nav_lookup_contracts.wire-digests]'
    )
    assert len(set(digests.values())) == len(digests), "two versions with the same schemas"
