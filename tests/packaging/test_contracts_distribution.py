"""The contracts distribution as a calling service gets it: `pip install ./contracts` into a fresh
environment gives the models, topic and header names, schemas and AsyncAPI document, on pydantic
alone, and nothing of the adapter."""

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
IMPORT_NAME = "nav_lookup_contracts"

CALLER = f"""
import importlib.metadata, importlib.resources, importlib.util, json, uuid
from {IMPORT_NAME} import LOOKUP_REPLY, ErrorReply, OkReply, headers, topics
from {IMPORT_NAME}.lookups import MedlemskapsunntakSearch
from {IMPORT_NAME}.operations import OPERATIONS_BY_NAME

request = MedlemskapsunntakSearch.model_validate(
    {{"request_id": str(uuid.uuid4()), "operation": "medlemskapsunntak.search",
      "scope": "nav:helse/v1/medlemskapsunntak", "ident": "14435512160"}},
    context={{"allow_synthetic": True}},
)
reply = LOOKUP_REPLY.validate_json(json.dumps({{"request_id": str(request.request_id),
    "operation": "medlemskapsunntak.get", "status": "error",
    "error": {{"code": "NOT_FOUND", "retryable": False, "message": "none"}}}}))
data = importlib.resources.files("{IMPORT_NAME}")
print(json.dumps({{
    "reply": type(reply).__name__,
    "topic": topics.request_topic("team-a"),
    "header": headers.CORRELATION_ID,
    "typed": (data / "py.typed").is_file(),
    "schemas": sorted(p.name for p in (data / "schemas").iterdir()),
    "asyncapi": json.loads((data / "asyncapi.json").read_text())["asyncapi"],
    "others": [m for m in ("adapter", "nav_sandbox", "devtools", "examples", "contracts",
                           "faststream", "orjson") if importlib.util.find_spec(m) is not None],
    "requires": importlib.metadata.requires("nav-lookup-contracts"),
    "operations": len(OPERATIONS_BY_NAME),
}}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(out),
            str(ROOT / "contracts"),
        ],
        check=True,
        timeout=600,
    )
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_the_package_its_schemas_and_nothing_else(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {IMPORT_NAME}
    assert f"{IMPORT_NAME}/py.typed" in names
    assert f"{IMPORT_NAME}/asyncapi.json" in names
    schemas = {n.rpartition("/")[2] for n in names if n.startswith(f"{IMPORT_NAME}/schemas/")}
    assert {"lookup-request.json", "error-reply.json", "reply.medlemskapsunntak.get.json"} <= schemas


def test_a_fresh_environment_gets_the_contracts_on_pydantic_alone(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    # No pip of its own (ensurepip is most of the set-up time): this pip installs into it instead.
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run([*pip, "install", "--quiet", str(wheel)], check=True, timeout=600)
    # Run outside the repository, so that nothing of it is importable from the working directory.
    out = subprocess.run([python, "-c", CALLER], check=True, capture_output=True, text=True, cwd=tmp_path)
    seen = json.loads(out.stdout)
    assert seen["reply"] == "ErrorReply"
    assert seen["topic"] == "nav.lookup.v1.requests.team-a"
    assert seen["header"] == "correlation_id"
    assert seen["typed"] is True
    assert {"lookup-request.json", "audit-record.json"} <= set(seen["schemas"])
    assert seen["asyncapi"] == "3.0.0"
    assert seen["others"] == []
    assert [r.split(">")[0].split("<")[0].strip() for r in seen["requires"]] == ["pydantic"]
    assert seen["operations"] == 9
    installed = subprocess.run(
        [*pip, "list", "--format=json"], check=True, capture_output=True, text=True, timeout=600
    )
    names = {p["name"].lower().replace("_", "-") for p in json.loads(installed.stdout)}
    assert names - {"pip", "setuptools"} == {
        "nav-lookup-contracts",
        "pydantic",
        "pydantic-core",
        "annotated-types",
        "typing-extensions",
        "typing-inspection",
    }
