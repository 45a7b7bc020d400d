"""NAV's contracts as NAV's own code has them, through the running `nav-adapter lookups` process:
the scopes Vedtaksinformasjon accepts, Simuler Alderspensjon's errors, Altinn 3 consent and the
Altinn 2 consent token kept beside it."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.embedded_broker import free_port
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
        kafka_bootstrap,
        work,
        in_process_adapter=False,
        nav_scopes={"vedtaksinformasjon": READ_SCOPE},
        http_port=free_port(),
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


CONSENT_OPERATIONS = ("uforeopplysninger.get", "aap.vedtak", "aap.meldekort")


async def _consents(stack: Stack) -> dict[str, dict[str, Any]]:
    listed = (await stack.http.get("/_sandbox/consents")).json()["consents"]
    return {c["id"]: c for c in listed}


@pytest.mark.parametrize("operation", CONSENT_OPERATIONS)
async def test_a_lookup_with_the_persons_altinn_3_consent_is_answered(
    running: tuple[Stack, AdapterProcess], operation: str
) -> None:
    stack, _ = running
    consent = next(c for c in (await _consents(stack)).values() if c["person"] == PERSON.ident)
    reply = await stack.ask(operation, timeout=90, ident=PERSON.ident, consent_id=consent["id"])
    assert reply["status"] == "ok", reply
    seen = [r for r in await _requests_to(stack, operation)]
    assert seen and all("nav-samtykke-token" not in r["headers"] for r in seen)


@pytest.mark.parametrize("operation", CONSENT_OPERATIONS)
async def test_a_consent_of_another_person_is_forbidden(
    running: tuple[Stack, AdapterProcess], operation: str
) -> None:
    stack, _ = running
    theirs = next(c for c in (await _consents(stack)).values() if c["person"] == PEOPLE[1].ident)
    reply = await stack.ask(operation, timeout=90, ident=PERSON.ident, consent_id=theirs["id"])
    assert reply["error"]["code"] == ErrorCode.FORBIDDEN and reply["error"]["http_status"] == 403
    assert PERSON.ident not in str(reply) and PEOPLE[1].ident not in str(reply)


async def test_a_period_outside_the_consent_is_forbidden(running: tuple[Stack, AdapterProcess]) -> None:
    stack, _ = running
    short = next(
        c
        for c in (await _consents(stack)).values()
        if c["person"] == PERSON.ident and c["fraogmed"] == "2024-01-01"
    )
    inside = await stack.ask(
        "uforeopplysninger.get", timeout=90, ident=PERSON.ident, consent_id=short["id"], fom_dato="2024-03-01"
    )
    assert inside["status"] == "ok", inside
    outside = await stack.ask(
        "uforeopplysninger.get", timeout=90, ident=PERSON.ident, consent_id=short["id"], fom_dato="2023-03-01"
    )
    assert outside["error"]["code"] == ErrorCode.FORBIDDEN and outside["error"]["http_status"] == 403


async def test_an_expired_or_unknown_consent_is_forbidden(running: tuple[Stack, AdapterProcess]) -> None:
    stack, _ = running
    expired = next(c for c in (await _consents(stack)).values() if c["expired"])
    reply = await stack.ask("aap.vedtak", timeout=90, ident=expired["person"], consent_id=expired["id"])
    assert reply["error"]["code"] == ErrorCode.FORBIDDEN and reply["error"]["http_status"] == 403
    unknown = await stack.ask("aap.vedtak", timeout=90, ident=PERSON.ident, consent_id=str(uuid.uuid4()))
    assert unknown["error"]["code"] == ErrorCode.FORBIDDEN and "http_status" not in unknown["error"]


async def test_no_consent_is_consent_required_and_nav_is_not_called(
    running: tuple[Stack, AdapterProcess],
) -> None:
    stack, _ = running
    before = (await stack.http.get("/_sandbox/stats")).json()
    for operation in CONSENT_OPERATIONS:
        reply = await stack.ask(operation, timeout=90, ident=PERSON.ident)
        assert reply["error"]["code"] == ErrorCode.CONSENT_REQUIRED
        assert not reply["error"]["retryable"]
    after = (await stack.http.get("/_sandbox/stats")).json()
    assert after["requests"] == before["requests"]
    assert after["consent_token_fetches"] == before["consent_token_fetches"]


async def test_many_lookups_on_one_consent_make_one_grant(running: tuple[Stack, AdapterProcess]) -> None:
    stack, _ = running
    person = PEOPLE[4]
    consent = next(c for c in (await _consents(stack)).values() if c["person"] == person.ident)
    replies = await asyncio.gather(
        *(
            stack.ask("aap.meldekort", timeout=90, ident=person.ident, consent_id=consent["id"])
            for _ in range(50)
        )
    )
    assert all(r["status"] == "ok" for r in replies), replies[0]
    grants = (await stack.http.get("/_sandbox/stats")).json()["consent_token_fetches"]
    assert grants[consent["id"]] == 1


ALTINN2_TOKEN = "c2FtdHlra2UtYWx0aW5uLTI="
"""base64 "samtykke-altinn-2": the leak check of the process's log looks for "c2FtdHlra2U"."""


@pytest.mark.parametrize("operation", CONSENT_OPERATIONS)
async def test_a_lookup_with_an_altinn_2_consent_token_is_answered(
    running: tuple[Stack, AdapterProcess], operation: str
) -> None:
    stack, _ = running
    before = (await stack.http.get("/_sandbox/stats")).json()["consent_token_fetches"]
    reply = await stack.ask(operation, timeout=90, ident=PERSON.ident, consent_token=ALTINN2_TOKEN)
    assert reply["status"] == "ok", reply
    assert ALTINN2_TOKEN not in str(reply)
    # NAV-Samtykke-Token went with the call (the sandbox keeps it only as redacted) ...
    seen = [r for r in await _requests_to(stack, operation) if "nav-samtykke-token" in r["headers"]]
    assert seen and all(r["headers"]["nav-samtykke-token"] == "[redacted]" for r in seen)
    # ... beside the ordinary scope token: no consent-bearing grant was made for it.
    assert (await stack.http.get("/_sandbox/stats")).json()["consent_token_fetches"] == before
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"http://127.0.0.1:{stack.settings.http_port}/metrics")).text
    assert ALTINN2_TOKEN not in metrics and "c2FtdHlra2U" not in metrics


async def test_both_kinds_of_consent_at_once_are_invalid_and_nav_is_not_called(
    running: tuple[Stack, AdapterProcess],
) -> None:
    stack, _ = running
    consent = next(c for c in (await _consents(stack)).values() if c["person"] == PERSON.ident)
    before = (await stack.http.get("/_sandbox/stats")).json()
    for operation in CONSENT_OPERATIONS:
        reply = await stack.ask(
            operation, timeout=90, ident=PERSON.ident, consent_id=consent["id"], consent_token=ALTINN2_TOKEN
        )
        assert reply["error"]["code"] == ErrorCode.INVALID_REQUEST, reply
        assert not reply["error"]["retryable"] and "not both" in reply["error"]["message"]
        assert ALTINN2_TOKEN not in str(reply)
    after = (await stack.http.get("/_sandbox/stats")).json()
    assert after["requests"] == before["requests"]
    assert after["consent_token_fetches"] == before["consent_token_fetches"]
