"""One example request and one ok reply per operation, and the other records' examples, for the
AsyncAPI document. Each is built through its contract model, so an example that the model would
refuse fails here, and a test checks each against its published JSON Schema."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from nav_lookup_contracts.audit import AuditRecord
from nav_lookup_contracts.bridged import BridgedEvent, Checkpoint, GapRecord
from nav_lookup_contracts.ident import mask_ident
from nav_lookup_contracts.lookups import LOOKUP_REQUEST
from nav_lookup_contracts.operations import OPERATIONS_BY_NAME
from nav_lookup_contracts.replies import RETRYABLE_CODES, ErrorCode, ErrorReply, ReplyError

REQUEST_ID = "0b6d5a6e-6f5c-4e0e-9d43-3c5b4a1c2f10"
IDENT = "14435512160"
"""A synthetic ident (birth month + 40), as NAV's test people have: no real person."""
CONSENT_ID = "e22696f1-2fde-5523-9a9b-fbd4f0037464"
"""The id of an Altinn 3 consent (the sandbox's for IDENT)."""
CONSENT_TOKEN = "c2FtdHlra2U="
"""An Altinn 2 consent token (base64 "samtykke"; a real one is a signed JWT)."""

_MEDLEMSKAPSUNNTAK = {
    "unntakId": 1001,
    "ident": IDENT,
    "fraOgMed": "2024-01-01",
    "tilOgMed": "2024-12-31",
    "grunnlag": "FO_12_2",
    "helsedel": True,
    "lovvalg": "ENDL",
    "lovvalgsland": "SWE",
    "medlem": False,
    "status": "GYLD",
    "dekning": "Full",
}
_PERIOD = {"fraDato": "2024-01-01", "tilDato": "2024-12-31"}

EXAMPLES: dict[str, tuple[dict[str, Any], Any]] = {
    "medlemskapsunntak.get": ({"unntak_id": 1001}, _MEDLEMSKAPSUNNTAK),
    "medlemskapsunntak.search": (
        {"ident": IDENT, "fra_og_med": "2024-01-01", "statuser": ["GYLD"]},
        [_MEDLEMSKAPSUNNTAK],
    ),
    "uforeopplysninger.get": (
        {"ident": IDENT, "consent_id": CONSENT_ID},
        {
            "status": "LOPENDE",
            "forsteVirkningstidspunkt": "2020-05-01",
            "beregningsperioder": [{"fom": "2020-05-01", "uforegrad": 100, "ifu": 450000}],
        },
    ),
    "aap.vedtak": (
        {"ident": IDENT, "consent_id": CONSENT_ID, "fom_dato": "2024-01-01"},
        {
            "uttrekksperiode": _PERIOD,
            "vedtaksliste": [
                {"vedtakId": 77, "virkningsperiode": _PERIOD, "utfall": {"kode": "JA", "termnavn": "Ja"}}
            ],
        },
    ),
    "aap.meldekort": (
        {"ident": IDENT, "consent_token": CONSENT_TOKEN},
        {
            "uttrekksperiode": _PERIOD,
            "meldekortliste": [
                {"meldekortId": 5, "periode": _PERIOD, "antallTimerArbeidet": 7.5},
            ],
        },
    ),
    "frikort.brev": (
        {"ident": IDENT, "ar": 2024},
        {"brev": [{"brevId": "B-1", "frikorttype": "EGENANDEL_1", "vedtaksdato": "2024-06-01"}]},
    ),
    "sareksport.samhandlere": (
        {"endret_etter": "2024-01-01T00:00:00+00:00", "side": 0, "antall": 100},
        {
            "side": 0,
            "antallSider": 1,
            "samhandlere": [
                {
                    "samhandlerId": "S-1",
                    "navn": "Legekontoret AS",
                    "samhandlertype": "LE",
                    "endret": "2024-03-01T12:00:00+00:00",
                }
            ],
        },
    ),
    "pensjon.vedtaksinformasjon": (
        {"ident": IDENT, "tpnr": "3010", "fom": "2024-01-01"},
        {
            "kap20InfoList": [],
            "kap19InfoList": [],
            "afpPrivatInfoList": [],
            "afpOffentligInfoList": [],
            "ap67InfoList": [],
        },
    ),
    "pensjon.simuler_alderspensjon": (
        {
            "tpnr": "3010",
            "simulering": {
                "fnr": IDENT,
                "sivilstandVedPensjonering": "UGIF",
                "forsteUttak": {"datoFom": "2030-01-01", "grad": 100},
            },
        },
        {"pensjonsperioder": [{"arligUtbetaling": 250000, "datoFom": "2030-01-01"}], "harUttak": False},
    ),
}


def request_example(name: str) -> dict[str, Any]:
    op = OPERATIONS_BY_NAME[name]
    params, _ = EXAMPLES[name]
    raw = {"request_id": REQUEST_ID, "operation": name, "scope": op.scope, **params}
    request = LOOKUP_REQUEST.validate_python(raw, context={"allow_synthetic": True})
    return request.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"operation": name}


def reply_example(name: str) -> dict[str, Any]:
    op = OPERATIONS_BY_NAME[name]
    _, result = EXAMPLES[name]
    reply = op.reply_model(request_id=UUID(REQUEST_ID), operation=name, result=result)
    return reply.model_dump(mode="json", exclude_none=True)


ERROR_EXAMPLES: tuple[tuple[str, ErrorCode, str, int | None], ...] = (
    (
        "uforeopplysninger.get",
        ErrorCode.CONSENT_REQUIRED,
        "uforeopplysninger.get needs the person's consent: consent_id (Altinn 3) or consent_token (Altinn 2)",
        None,
    ),
    ("medlemskapsunntak.get", ErrorCode.NOT_FOUND, "NAV has no such record", 404),
    ("aap.vedtak", ErrorCode.UPSTREAM_UNAVAILABLE, "NAV answered 503", 503),
)


def error_example(operation: str, code: ErrorCode, message: str, http_status: int | None) -> dict[str, Any]:
    reply = ErrorReply(
        request_id=UUID(REQUEST_ID),
        operation=operation,
        error=ReplyError(
            code=code, retryable=code in RETRYABLE_CODES, message=message, http_status=http_status
        ),
    )
    return reply.model_dump(mode="json", exclude_none=True)


def audit_example() -> dict[str, Any]:
    record = AuditRecord(
        caller="team-a",
        operation="medlemskapsunntak.search",
        masked_ident=mask_ident(IDENT),
        request_id=UUID(REQUEST_ID),
        outcome="ok",
        time=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
    )
    return record.model_dump(mode="json")


def bridged_examples() -> tuple[dict[str, Any], dict[str, Any]]:
    event = BridgedEvent(
        feed="trygdehendelser",
        sequence=1042,
        event={"sekvensnummer": 1042, "identifikator": IDENT, "hendelsetype": "OPPRETTET"},
    )
    gap = GapRecord(feed="trygdehendelser", sequence=1045, first_missing=1043, last_missing=1045)
    return event.model_dump(mode="json", exclude_none=True), gap.model_dump(mode="json", exclude_none=True)


def checkpoint_example() -> dict[str, Any]:
    return Checkpoint(feed="trygdehendelser", sequence=1042).model_dump(mode="json", exclude_none=True)
