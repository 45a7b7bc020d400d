import pytest
from starlette.routing import Route

from nav_lookup_contracts.operations import OPERATIONS, Operation
from nav_sandbox import PEOPLE, SandboxConfig, create_app
from nav_sandbox.answers import ANSWERED
from tests.sandbox.conftest import Sandbox, sample_values


def test_every_operation_has_one_route_with_its_method() -> None:
    app = create_app(SandboxConfig())
    routes = {r.name: r for r in app.routes if isinstance(r, Route)}
    for op in OPERATIONS:
        route = routes[op.name]
        assert op.method in (route.methods or ())
        assert route.path.startswith(f"/{op.api.key}/")
    assert {op.name for op in OPERATIONS} == ANSWERED


def test_path_placeholders_are_typed_from_the_request_model() -> None:
    app = create_app(SandboxConfig())
    assert app.url_path_for("medlemskapsunntak.get", unntakId=42) == "/medlemskapsunntak/42"
    assert app.url_path_for("medlemskapsunntak.search") == "/medlemskapsunntak/"


def test_mount_prefixes_are_configurable() -> None:
    app = create_app(SandboxConfig(mount_prefixes={"aap": "/arbeid/v1/aap/"}))
    assert app.url_path_for("aap.vedtak") == "/arbeid/v1/aap/vedtak"
    assert app.url_path_for("frikort.brev") == "/frikort/brev"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
async def test_every_operation_is_reachable(sandbox: Sandbox, op: Operation) -> None:
    response = await sandbox.call(op, sample_values(op, PEOPLE[0]))
    assert response.status_code == 200, response.text


async def test_a_non_numeric_unntak_id_matches_no_route(sandbox: Sandbox) -> None:
    token = await sandbox.token("nav:helse/v1/medlemskapsunntak")
    response = await sandbox.client.get(
        "/medlemskapsunntak/abc", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404


async def test_a_wrong_method_is_405(sandbox: Sandbox) -> None:
    response = await sandbox.client.post("/aap/vedtak")
    assert response.status_code == 405
