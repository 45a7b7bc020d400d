"""NAV's contracts as NAV's own code has them, through the running `nav-adapter lookups` process:
the scopes Vedtaksinformasjon accepts, Simuler Alderspensjon's errors, Altinn 3 consent."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nav_lookup_contracts import ErrorCode
from nav_sandbox import PEOPLE, UNKNOWN_IDENT
from tests.support.processes import AdapterProcess, assert_no_personal_data
from tests.support.stack import Stack, open_stack

pytestmark = pytest.mark.e2e

PERSON = PEOPLE[0]
TPNR = sorted(PERSON.tp_ordninger)[0]
READ_SCOPE = "nav:pensjon/vedtaksinformasjon.read"


@pytest.fixture(scope="module")
async def running(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Stack, AdapterProcess]]:
    work = Path(tmp_path_factory.mktemp("corrections"))
    async with open_stack(
        kafka_bootstrap, work, in_process_adapter=False, nav_scopes={"vedtaksinformasjon": READ_SCOPE}
    ) as stack:
        adapter = AdapterProcess(stack.environment(), work / "adapter.log")
        adapter.start()
        try:
            yield stack, adapter
        finally:
            assert adapter.terminate() == 0
            assert_no_personal_data(adapter.log_path.read_text())


async def _requests_to(stack: Stack, target: str) -> list[dict[str, Any]]:
    recorded = (await stack.http.get("/_sandbox/requests")).json()
    return [r for r in recorded if r["target"] == target]


async def test_vedtaksinformasjon_tokens_carry_the_configured_scope(
    running: tuple[Stack, AdapterProcess],
) -> None:
    stack, _ = running
    # A caller may name either scope NAV accepts; the token carries the configured one.
    for scope in ("nav:pensjon/v1/vedtaksinformasjon", READ_SCOPE):
        reply = await stack.ask(
            "pensjon.vedtaksinformasjon",
            timeout=90,
            scope=scope,
            ident=PERSON.ident,
            tpnr=TPNR,
            fom="2020-01-01",
        )
        assert reply["status"] == "ok", reply
    fetches = (await stack.http.get("/_sandbox/stats")).json()["token_fetches"]
    assert fetches.get(READ_SCOPE, 0) >= 1
    assert "nav:pensjon/v1/vedtaksinformasjon" not in fetches
    seen = await _requests_to(stack, "pensjon.vedtaksinformasjon")
    assert seen and all(r["headers"].get("x-request-id") for r in seen)


SIMULERING = {
    "fnr": PERSON.ident,
    "sivilstandVedPensjonering": "UGIF",
    "forsteUttak": {"datoFom": "2030-01-01", "grad": 100},
}


async def test_a_simulation_needs_no_tpnr(running: tuple[Stack, AdapterProcess]) -> None:
    stack, _ = running
    reply = await stack.ask("pensjon.simuler_alderspensjon", timeout=90, simulering=SIMULERING)
    assert reply["status"] == "ok", reply
    assert len(reply["result"]["alderspensjonFraFolketrygden"]) == 1


async def test_a_simulation_navs_rules_refuse_names_navs_exception(
    running: tuple[Stack, AdapterProcess],
) -> None:
    stack, _ = running
    simulering = {**SIMULERING, "forsteUttak": {"datoFom": "2030-01-15", "grad": 100}}
    reply = await stack.ask("pensjon.simuler_alderspensjon", timeout=90, simulering=simulering)
    error = reply["error"]
    assert error["code"] == ErrorCode.INVALID_REQUEST and error["http_status"] == 400
    assert error["nav_code"] == "InvalidArgumentException" and not error["retryable"]


async def test_a_simulation_for_a_person_outside_the_callers_scheme_is_forbidden(
    running: tuple[Stack, AdapterProcess],
) -> None:
    stack, _ = running
    simulering = {**SIMULERING, "fnr": UNKNOWN_IDENT}
    reply = await stack.ask("pensjon.simuler_alderspensjon", timeout=90, tpnr=TPNR, simulering=simulering)
    assert reply["error"]["code"] == ErrorCode.FORBIDDEN and reply["error"]["http_status"] == 403
