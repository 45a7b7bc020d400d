import itertools
import time
import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from nav_lookup_contracts.operations import OPERATIONS, OPERATIONS_BY_NAME, Operation
from nav_sandbox import (
    CONSENTS,
    EXPIRED_CONSENT,
    PEOPLE,
    SHORT_CONSENT,
    UNKNOWN_IDENT,
    Person,
    SandboxConfig,
    consent_of,
    create_app,
)
from tests.sandbox.conftest import BASE_URL, GrantBuilder, Sandbox, about, consent_details, sample_values

OP = OPERATIONS_BY_NAME
SEARCH = OP["medlemskapsunntak.search"]
APIM_OP = OP["aap.vedtak"]  # on api.nav.no: wants the subscription key
GATEWAY_OP = OP["pensjon.vedtaksinformasjon"]  # on pensjon-gw: no subscription key
SAR = OP["sareksport.samhandlere"]  # the only operation without a subject


def _name(value: object) -> str:
    return value.name if isinstance(value, Operation) else ""


@pytest.mark.parametrize(
    ("op", "who"),
    list(itertools.product(OPERATIONS, PEOPLE)),
    ids=[f"{op.name}-{i}" for op, i in itertools.product(OPERATIONS, range(len(PEOPLE)))],
)
async def test_every_person_has_data_for_every_operation(
    sandbox: Sandbox, op: Operation, who: Person
) -> None:
    response = await sandbox.call(op, sample_values(op, who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result = op.result_adapter.validate_json(response.content)
    if isinstance(result, list):
        assert result
    if op.unknown_subject == "empty":
        nobody = await sandbox.call(op, about(sample_values(op, who), UNKNOWN_IDENT))
        assert nobody.status_code == 200
        assert response.content != nobody.content


async def test_401_without_a_token(sandbox: Sandbox) -> None:
    response = await sandbox.call(GATEWAY_OP, sample_values(GATEWAY_OP, PEOPLE[0]), token=None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_401_with_an_unknown_token(sandbox: Sandbox) -> None:
    response = await sandbox.call(GATEWAY_OP, sample_values(GATEWAY_OP, PEOPLE[0]), token="forged")
    assert response.status_code == 401


async def test_401_once_tokens_have_expired(sandbox: Sandbox) -> None:
    values = sample_values(GATEWAY_OP, PEOPLE[0])
    token = await sandbox.token(GATEWAY_OP.scope)
    assert (await sandbox.call(GATEWAY_OP, values, token=token)).status_code == 200
    expired = await sandbox.client.post("/_sandbox/tokens/expire")
    assert expired.json() == {"expired": 1}
    assert (await sandbox.call(GATEWAY_OP, values, token=token)).status_code == 401


async def test_tokens_expire_after_their_lifetime(config: SandboxConfig, grant: GrantBuilder) -> None:
    now = [time.time()]
    app = create_app(config, clock=lambda: now[0])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        sandbox = Sandbox(c, grant)
        values = sample_values(GATEWAY_OP, PEOPLE[0])
        token = await sandbox.token(GATEWAY_OP.scope)
        now[0] += config.token_lifetime_seconds - 1
        assert (await sandbox.call(GATEWAY_OP, values, token=token)).status_code == 200
        now[0] += 1
        assert (await sandbox.call(GATEWAY_OP, values, token=token)).status_code == 401


async def test_403_for_a_token_of_another_scope(sandbox: Sandbox) -> None:
    token = await sandbox.token("nav:arbeid/v1/aap")
    response = await sandbox.call(GATEWAY_OP, sample_values(GATEWAY_OP, PEOPLE[0]), token=token)
    assert response.status_code == 403
    assert GATEWAY_OP.scope in response.json()["message"]


async def test_403_without_the_subscription_key_where_the_api_needs_it(sandbox: Sandbox) -> None:
    values = sample_values(APIM_OP, PEOPLE[0])
    response = await sandbox.call(APIM_OP, values, subscription_key=None)
    assert response.status_code == 403
    assert "subscription key" in response.json()["message"]
    wrong = await sandbox.call(APIM_OP, values, subscription_key="guess")
    assert wrong.status_code == 403


async def test_no_subscription_key_is_needed_on_pensjon_gw(sandbox: Sandbox) -> None:
    values = sample_values(GATEWAY_OP, PEOPLE[0])
    response = await sandbox.call(GATEWAY_OP, values, subscription_key=None)
    assert response.status_code == 200


CONSENT_OPS = [op for op in OPERATIONS if op.needs_consent]


@pytest.mark.parametrize("op", CONSENT_OPS, ids=_name)
async def test_403_for_a_token_without_an_altinn_3_consent(sandbox: Sandbox, op: Operation) -> None:
    values = sample_values(op, PEOPLE[0])
    response = await sandbox.call(op, values, token=await sandbox.token(op.scope))
    assert response.status_code == 403
    assert "consent" in response.json()["message"]


ALTINN2_TOKEN = "c2FuZGJveC1zYW10eWtrZQ=="


def _with_altinn2_token(op: Operation, person: Any, token: str = ALTINN2_TOKEN) -> dict[str, Any]:
    values = {k: v for k, v in sample_values(op, person).items() if k != "consent_id"}
    return {**values, "consent_token": token}


@pytest.mark.parametrize("op", CONSENT_OPS, ids=_name)
async def test_an_altinn_2_consent_token_beside_the_scope_token_is_taken_for_anyone(
    sandbox: Sandbox, op: Operation
) -> None:
    for person in PEOPLE[:2]:
        response = await sandbox.call(op, _with_altinn2_token(op, person))
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("op", CONSENT_OPS, ids=_name)
async def test_an_empty_altinn_2_header_is_no_consent(sandbox: Sandbox, op: Operation) -> None:
    response = await sandbox.call(op, _with_altinn2_token(op, PEOPLE[0], token=""))
    assert response.status_code == 403
    assert "NAV-Samtykke-Token" in response.json()["message"]


async def test_an_altinn_2_consent_token_is_recorded_redacted(sandbox: Sandbox) -> None:
    op = OP["uforeopplysninger.get"]
    await sandbox.call(op, _with_altinn2_token(op, PEOPLE[0]))
    recorded = (await sandbox.client.get("/_sandbox/requests")).json()
    entry = next(r for r in recorded if r["target"] == op.name)
    assert entry["headers"]["nav-samtykke-token"] == "[redacted]"
    assert ALTINN2_TOKEN not in str(recorded)


@pytest.mark.parametrize("op", CONSENT_OPS, ids=_name)
async def test_403_for_a_consent_of_another_person(sandbox: Sandbox, op: Operation) -> None:
    values = {**sample_values(op, PEOPLE[0]), "consent_id": consent_of(PEOPLE[1].ident).id}
    response = await sandbox.call(op, values)
    assert response.status_code == 403
    assert "person" in response.json()["message"] and PEOPLE[0].ident not in response.text


@pytest.mark.parametrize("op", CONSENT_OPS, ids=_name)
async def test_403_for_an_expired_consent(sandbox: Sandbox, op: Operation) -> None:
    values = {**sample_values(op, PEOPLE[0]), "consent_id": EXPIRED_CONSENT.id}
    response = await sandbox.call(op, values)
    assert response.status_code == 403
    assert "expired" in response.json()["message"]


@pytest.mark.parametrize(
    "period",
    [
        {"fom_dato": date(2023, 6, 1)},
        {"tom_dato": date(2025, 2, 1)},
        {},  # the consent's own period then: inside
    ],
    ids=["starts before", "ends after", "none asked"],
)
async def test_403_for_a_period_outside_the_consent(sandbox: Sandbox, period: dict[str, date]) -> None:
    op = OP["uforeopplysninger.get"]
    values = {**sample_values(op, PEOPLE[0]), "consent_id": SHORT_CONSENT.id, **period}
    response = await sandbox.call(op, values)
    assert response.status_code == (200 if not period else 403), response.text


async def test_maskinporten_refuses_a_grant_for_an_unknown_consent(sandbox: Sandbox) -> None:
    details = consent_details(uuid.uuid4(), PEOPLE[0].ident)
    response = await sandbox.fetch_token(
        sandbox.grant("nav:arbeid/v1/aap", extra={"authorization_details": details})
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_authorization_details"
    assert PEOPLE[0].ident not in response.text


async def test_maskinporten_issues_a_token_carrying_the_consent(sandbox: Sandbox) -> None:
    consent = consent_of(PEOPLE[2].ident)
    details = consent_details(consent.id, PEOPLE[2].ident)
    response = await sandbox.fetch_token(
        sandbox.grant("nav:arbeid/v1/aap", extra={"authorization_details": details})
    )
    assert response.status_code == 200, response.text
    carried = response.json()["authorization_details"]
    assert [(d["type"], d["id"], d["from"]) for d in carried] == [
        (d["type"], d["id"], d["from"]) for d in details
    ]
    rights = carried[0]["consentRights"][0]
    assert rights["resource"] == [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}]
    assert set(rights["metadata"]) == {"fraogmed", "tilogmed"}


async def test_the_consents_are_listed_beside_the_people(sandbox: Sandbox) -> None:
    listed = (await sandbox.client.get("/_sandbox/consents")).json()["consents"]
    assert {c["id"] for c in listed} == {str(c.id) for c in CONSENTS}
    people = {p.ident for p in PEOPLE} | {UNKNOWN_IDENT}
    assert all(c["person"] in people and c["resource"] == "nav_samtykke_dsop_aap-ufore" for c in listed)
    assert [c["expired"] for c in listed if c["id"] == str(EXPIRED_CONSENT.id)] == [True]


@pytest.mark.parametrize(
    ("op", "spoil", "names"),
    [
        (OP["aap.vedtak"], {"fom_dato": "2020-13-01"}, "fomDato"),
        (OP["pensjon.vedtaksinformasjon"], {"fom": "not-a-date"}, "fom"),
        (OP["pensjon.vedtaksinformasjon"], {"tpnr": "30100"}, "tp-nr"),
        (OP["frikort.brev"], {"ident": "13097248032"}, "fnr"),
        (OP["frikort.brev"], {"ident": None}, "fnr"),
        (SEARCH, {"type": "ALLE"}, "type"),
        (OP["medlemskapsunntak.get"], {"unntak_id": 0}, "unntakId"),
    ],
    ids=["bad date", "no date", "tpnr", "control digit", "no ident", "type", "unntakId 0"],
)
async def test_400_for_malformed_parameters(
    sandbox: Sandbox, op: Operation, spoil: dict[str, Any], names: str
) -> None:
    response = await sandbox.call(op, {**sample_values(op, PEOPLE[0]), **spoil})
    assert response.status_code == 400, response.text
    assert names in response.json()["message"]
    for value in [PEOPLE[0].ident, *spoil.values()]:
        assert not isinstance(value, str) or value not in response.text


async def test_400_for_a_malformed_body_without_echoing_it(sandbox: Sandbox) -> None:
    op = OP["pensjon.simuler_alderspensjon"]
    values = sample_values(op, PEOPLE[0])
    values["simulering"] = {**values["simulering"], "forsteUttak": {"datoFom": "2030-01-01", "grad": 30}}
    response = await sandbox.call(op, values)
    assert response.status_code == 400
    assert "body.forsteUttak.grad" in response.json()["feil"]
    assert PEOPLE[0].ident not in response.text


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.name != SAR.name], ids=_name)
async def test_an_unknown_subject_is_404_or_empty_as_the_table_says(sandbox: Sandbox, op: Operation) -> None:
    values = sample_values(op, PEOPLE[0])
    if "unntak_id" in values:
        values["unntak_id"] = 99
    elif "simulering" in values:
        values["simulering"] = {**values["simulering"], "fnr": UNKNOWN_IDENT}
    else:
        values = about(values, UNKNOWN_IDENT)
    response = await sandbox.call(op, values)
    if op.unknown_subject == "not_found":
        assert response.status_code == 404
    elif op.unknown_subject == "forbidden":
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        op.result_adapter.validate_json(response.content)


async def test_a_tp_ordning_the_person_is_not_member_of_is_404(sandbox: Sandbox) -> None:
    values = {**sample_values(GATEWAY_OP, PEOPLE[-1]), "tpnr": "3200"}
    assert (await sandbox.call(GATEWAY_OP, values)).status_code == 404


async def test_repeated_query_params_are_lists(sandbox: Sandbox) -> None:
    who = PEOPLE[0]
    statuses = {u.status for u in who.medlemskapsunntak}
    assert statuses == {"GYLD", "AVST"}
    only_gyld = await sandbox.call(SEARCH, {"ident": who.ident, "statuser": ["GYLD"]})
    both = await sandbox.call(SEARCH, {"ident": who.ident, "statuser": ["GYLD", "AVST"]})
    assert [u["status"] for u in only_gyld.json()] == ["GYLD"]
    assert len(both.json()) == 2
    kilder = {u.sporingsinformasjon.kilde for u in who.medlemskapsunntak if u.sporingsinformasjon}
    none_left = await sandbox.call(SEARCH, {"ident": who.ident, "ekskluder_kilder": sorted(kilder)})
    assert none_left.json() == []


async def test_search_filters_by_type_and_period(sandbox: Sandbox) -> None:
    who = PEOPLE[1]
    med = await sandbox.call(SEARCH, {"ident": who.ident, "type": "MED_MEDLEMSKAP"})
    assert {u["medlem"] for u in med.json()} == {True}
    first = who.medlemskapsunntak[0]
    period = await sandbox.call(
        SEARCH, {"ident": who.ident, "fra_og_med": first.fraOgMed, "til_og_med": first.tilOgMed}
    )
    assert [u["unntakId"] for u in period.json()] == [first.unntakId]


@pytest.mark.parametrize("op", [SEARCH, OP["medlemskapsunntak.get"]], ids=_name)
async def test_sporingsinformasjon_only_when_asked_for(sandbox: Sandbox, op: Operation) -> None:
    values = sample_values(op, PEOPLE[2])
    without = (await sandbox.call(op, {**values, "inkluder_sporingsinfo": False})).json()
    with_it = (await sandbox.call(op, {**values, "inkluder_sporingsinfo": True})).json()
    for unntak in without if isinstance(without, list) else [without]:
        assert "sporingsinformasjon" not in unntak
    for unntak in with_it if isinstance(with_it, list) else [with_it]:
        assert unntak["sporingsinformasjon"]["kilde"]


async def test_sar_export_pages(sandbox: Sandbox) -> None:
    pages = [(await sandbox.call(SAR, {"side": side, "antall": 10})).json() for side in range(4)]
    assert [p["antallSider"] for p in pages] == [3, 3, 3, 3]
    assert [len(p["samhandlere"]) for p in pages] == [10, 10, 3, 0]
    ids = [s["samhandlerId"] for p in pages for s in p["samhandlere"]]
    assert len(set(ids)) == 23


SIMULER = OP["pensjon.simuler_alderspensjon"]


async def test_simulation_lists_first_and_full_uttak_whatever_hent_full_ap_liste_says(
    sandbox: Sandbox,
) -> None:
    values = sample_values(SIMULER, PEOPLE[3])
    full = (await sandbox.call(SIMULER, {**values, "hent_full_ap_liste": True})).json()
    short = (await sandbox.call(SIMULER, {**values, "hent_full_ap_liste": False})).json()
    assert full == short
    assert len(full["alderspensjonFraFolketrygden"]) == 2


async def test_simulation_needs_no_tp_nr(sandbox: Sandbox) -> None:
    values = {k: v for k, v in sample_values(SIMULER, PEOPLE[0]).items() if k != "tpnr"}
    response = await sandbox.call(SIMULER, values)
    assert response.status_code == 200, response.text
    assert "tp-nr" not in (await sandbox.client.get("/_sandbox/requests")).json()[-1]["headers"]


async def test_simulation_is_403_for_a_person_not_tied_to_the_callers_scheme(
    config: SandboxConfig, grant: GrantBuilder
) -> None:
    # The scheme comes from the token's organisation: a tp-nr the person is in does not help.
    other = replace(config, client_tp_ordninger=frozenset({"9999"}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(other)), base_url=BASE_URL
    ) as c:
        response = await Sandbox(c, grant).call(SIMULER, sample_values(SIMULER, PEOPLE[0]))
    assert response.status_code == 403
    assert PEOPLE[0].ident not in response.text


@pytest.mark.parametrize(
    ("uttak", "kode"),
    [
        (
            {"forsteUttak": {"datoFom": "2030-01-15", "grad": 100}, "heltUttak": None},
            "InvalidArgumentException",
        ),
        (
            {
                "forsteUttak": {"datoFom": "2030-01-01", "grad": 100},
                "heltUttak": {"datoFom": "2031-01-01", "grad": 100},
            },
            "BadSpecException",
        ),
        ({"forsteUttak": {"datoFom": "2030-01-01", "grad": 30}}, "BadRequestException"),
    ],
    ids=["not the first of a month", "helt uttak after 100 %", "grad not allowed"],
)
async def test_simulation_refusals_are_400_with_feil_and_kode(
    sandbox: Sandbox, uttak: dict[str, Any], kode: str
) -> None:
    values = sample_values(SIMULER, PEOPLE[0])
    simulering = {k: v for k, v in {**values["simulering"], **uttak}.items() if v is not None}
    response = await sandbox.call(SIMULER, {**values, "simulering": simulering})
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"feil", "kode"} and body["kode"] == kode
    assert PEOPLE[0].ident not in response.text


async def test_aap_filters_by_period_and_echoes_it(sandbox: Sandbox) -> None:
    op = OP["aap.vedtak"]
    values = {**sample_values(op, PEOPLE[0]), "fom_dato": date(2100, 1, 1)}
    body = (await sandbox.call(op, values)).json()
    assert body == {"uttrekksperiode": {"fraDato": "2100-01-01"}, "vedtaksliste": []}


async def test_requests_are_recorded_without_secrets(sandbox: Sandbox) -> None:
    op = OP["aap.meldekort"]
    await sandbox.call(op, sample_values(op, PEOPLE[0]))
    recorded = (await sandbox.client.get("/_sandbox/requests")).json()
    entry = next(r for r in recorded if r["target"] == op.name)
    headers = entry["headers"]
    assert entry["status"] == 200
    assert headers["nav-consumer-id"] == "sandbox-tests"
    assert headers["nav-call-id"]
    assert headers["authorization"] == headers["ocp-apim-subscription-key"] == "[redacted]"
    assert headers["fnr"] == PEOPLE[0].ident[:6] + "*****"
    token = await sandbox.token(op.scope, (consent_of(PEOPLE[0].ident).id, PEOPLE[0].ident))
    assert token not in str(recorded)
    assert PEOPLE[0].ident not in str(recorded)


@pytest.mark.parametrize("scope", GATEWAY_OP.scopes)
async def test_vedtaksinformasjon_takes_the_v1_and_the_read_scope(sandbox: Sandbox, scope: str) -> None:
    assert GATEWAY_OP.scopes == ("nav:pensjon/v1/vedtaksinformasjon", "nav:pensjon/vedtaksinformasjon.read")
    token = await sandbox.token(scope)
    response = await sandbox.call(GATEWAY_OP, sample_values(GATEWAY_OP, PEOPLE[0]), token=token)
    assert response.status_code == 200, response.text


async def test_vedtaksinformasjon_without_x_request_id_is_400(sandbox: Sandbox) -> None:
    values = sample_values(GATEWAY_OP, PEOPLE[0])
    response = await sandbox.call(GATEWAY_OP, values, drop_headers=["X-Request-Id"])
    assert response.status_code == 400
    assert "X-Request-Id" in response.json()["message"]
    other = OP["medlemskapsunntak.search"]  # APIs that do not require it still answer
    assert (
        await sandbox.call(other, sample_values(other, PEOPLE[0]), drop_headers=["X-Request-Id"])
    ).status_code == 200
