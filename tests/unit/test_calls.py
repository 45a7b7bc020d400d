import uuid
from datetime import date

import pytest

from adapter.nav.calls import build_call, interpret
from adapter.nav.errors import NavContractError, NavRejected, NavUnavailable, retry_after_seconds
from nav_lookup_contracts import LOOKUP_REQUEST, OPERATIONS_BY_NAME, ErrorCode

CTX = {"allow_synthetic": True}


def _request(operation: str, **fields: object):  # type: ignore[no-untyped-def]
    op = OPERATIONS_BY_NAME[operation]
    return LOOKUP_REQUEST.validate_python(
        {"request_id": str(uuid.uuid4()), "operation": operation, "scope": op.scope, **fields},
        context=CTX,
    )


def test_path_and_query_params_come_from_the_table() -> None:
    op = OPERATIONS_BY_NAME["medlemskapsunntak.get"]
    call = build_call(op, _request("medlemskapsunntak.get", unntak_id=42, inkluder_sporingsinfo=True))
    assert (call.method, call.path) == ("GET", "/42")
    assert call.params == (("inkluderSporingsinfo", "true"),)
    assert call.body is None


def test_ident_goes_in_a_header_and_lists_repeat() -> None:
    op = OPERATIONS_BY_NAME["medlemskapsunntak.search"]
    call = build_call(
        op,
        _request(
            "medlemskapsunntak.search",
            ident="13097248022",
            statuser=["GYLD", "UAVK"],
            fra_og_med="2020-01-01",
        ),
    )
    assert call.headers["Nav-Personident"] == "13097248022"
    assert ("statuser", "GYLD") in call.params and ("statuser", "UAVK") in call.params
    assert ("fraOgMed", "2020-01-01") in call.params
    assert all(name != "ekskluderKilder" for name, _ in call.params)


def test_a_consent_travels_in_the_token_not_in_a_header() -> None:
    op = OPERATIONS_BY_NAME["aap.vedtak"]
    consent_id = "5f0c0a52-8a6e-4c39-9a51-3c1a6f1f0b11"
    call = build_call(op, _request("aap.vedtak", ident="13097248022", consent_id=consent_id))
    assert "NAV-Samtykke-Token" not in call.headers
    assert call.headers["fnr"] == "13097248022"
    assert call.consent is not None and str(call.consent.id) == consent_id
    assert call.consent.ident == "13097248022"


@pytest.mark.parametrize("operation", ["uforeopplysninger.get", "aap.vedtak", "aap.meldekort"])
def test_an_altinn_2_consent_token_goes_in_its_header_beside_the_scope_token(operation: str) -> None:
    op = OPERATIONS_BY_NAME[operation]
    call = build_call(op, _request(operation, ident="13097248022", consent_token="dG9rZW4="))
    assert call.headers["NAV-Samtykke-Token"] == "dG9rZW4="
    # No consent for the bearer token to carry: the ordinary scope token goes with the header.
    assert call.consent is None
    assert "dG9rZW4=" not in repr(call.consent) + str(call.params)


def test_simulation_is_a_json_body_with_navs_names() -> None:
    op = OPERATIONS_BY_NAME["pensjon.simuler_alderspensjon"]
    call = build_call(
        op,
        _request(
            "pensjon.simuler_alderspensjon",
            tpnr="3010",
            simulering={
                "fnr": "13097248022",
                "sivilstandVedPensjonering": "UGIF",
                "forsteUttak": {"datoFom": "2027-01-01", "grad": 100},
            },
        ),
    )
    assert call.method == "POST" and call.headers["tp-nr"] == "3010"
    assert call.headers["hentFullAPListe"] == "false"
    assert call.body is not None and b'"forsteUttak":{"datoFom":"2027-01-01","grad":100}' in call.body


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (400, NavRejected, ErrorCode.INVALID_REQUEST),
        (401, NavRejected, ErrorCode.UNAUTHORIZED),
        (403, NavRejected, ErrorCode.FORBIDDEN),
        (404, NavRejected, ErrorCode.NOT_FOUND),
        (429, NavUnavailable, ErrorCode.RATE_LIMITED),
        (500, NavUnavailable, ErrorCode.UPSTREAM_UNAVAILABLE),
        (503, NavUnavailable, ErrorCode.UPSTREAM_UNAVAILABLE),
    ],
)
def test_status_codes_map_to_typed_errors(status: int, error: type, code: ErrorCode) -> None:
    op = OPERATIONS_BY_NAME["medlemskapsunntak.get"]
    with pytest.raises(error) as caught:
        interpret(op, status, {}, b'{"ident": "13097248022"}')
    assert caught.value.code is code
    assert caught.value.http_status == status
    assert "13097248022" not in str(caught.value)


def test_retry_after_is_read_from_429() -> None:
    op = OPERATIONS_BY_NAME["aap.vedtak"]
    with pytest.raises(NavUnavailable) as caught:
        interpret(op, 429, {"retry-after": "7"}, b"")
    assert caught.value.retry_after == 7.0
    assert retry_after_seconds({"retry-after": "soon"}) is None


def test_a_body_that_breaks_the_contract_is_a_contract_error_without_its_content() -> None:
    op = OPERATIONS_BY_NAME["medlemskapsunntak.get"]
    with pytest.raises(NavContractError) as caught:
        interpret(op, 200, {}, b'{"ident": "13097248022", "unntakId": "x"}')
    assert "13097248022" not in str(caught.value)


def test_ok_body_becomes_the_typed_result() -> None:
    op = OPERATIONS_BY_NAME["uforeopplysninger.get"]
    result = interpret(op, 200, {}, b'{"status": "LOPENDE", "forsteVirkningstidspunkt": "2019-01-01"}')
    assert result.forsteVirkningstidspunkt == date(2019, 1, 1)


def test_nav_code_is_read_from_the_operations_error_body_and_only_when_it_is_a_name() -> None:
    from adapter.nav.errors import error_for_status
    from nav_lookup_contracts.nav.pensjon import SimuleringFeil

    def code(body: bytes) -> str | None:
        return error_for_status("x", 400, {}, body=body, error_model=SimuleringFeil).nav_code

    assert code(b'{"feil": "Bad request", "kode": "PersonForUngException"}') == "PersonForUngException"
    assert code(b'{"feil": "Bad request", "kode": "Ident 13097248022"}') is None  # never a value
    assert code(b"not json") is None
    assert error_for_status("x", 400, {}, body=b'{"kode": "X"}').nav_code is None  # no error model


def test_the_simulations_result_fields_are_nullable() -> None:
    from nav_lookup_contracts.nav.pensjon import AlderspensjonResultV3

    body = (
        b'{"alderspensjonFraFolketrygden": '
        b'[{"datoFom": null, "delytelser": [{"pensjonstype": null, "belop": null}]}]}'
    )
    result = AlderspensjonResultV3.model_validate_json(body)
    assert result.alderspensjonFraFolketrygden[0].delytelser[0].belop is None


def test_simulation_without_tpnr_sends_no_tp_nr() -> None:
    op = OPERATIONS_BY_NAME["pensjon.simuler_alderspensjon"]
    simulering = {
        "fnr": "13097248022",
        "sivilstandVedPensjonering": "UGIF",
        "forsteUttak": {"datoFom": "2027-01-01", "grad": 100},
    }
    call = build_call(op, _request("pensjon.simuler_alderspensjon", simulering=simulering))
    assert "tp-nr" not in call.headers
