"""The published request schema and the adapter's validation agree, on one corpus of what a
hostile or careless caller sends: what the schema refuses, the adapter answers INVALID_REQUEST,
and what it takes, the adapter takes too (beyond it, only what no JSON Schema can say: an ident's
control digits and its date, that scope is the operation's, and that 1.0 is no integer)."""

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from adapter.kafka.records import Incoming
from adapter.lookup.policy import LookupPolicy
from adapter.lookup.reply_to import ReplyRoutes
from adapter.lookup.service import LookupService
from adapter.nav.errors import NavRejected
from contracts import OPERATIONS, ErrorCode, Operation
from contracts.lookups import LookupBase

SCHEMA = json.loads((Path(__file__).parents[2] / "contracts" / "schemas" / "lookup-request.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
FNR = "13097248022"
POLICY = LookupPolicy(
    scopes_by_request_topic={"req": frozenset(op.scope for op in OPERATIONS)},
    caller_by_request_topic={"req": "a"},
    replies=ReplyRoutes({"req": "replies"}),
    dead_letter_topic="dlq",
    audit_topic="audit",
    dedupe_window_seconds=0,
)


class NotFoundNav:
    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any:
        raise NavRejected(ErrorCode.NOT_FOUND, "not found", http_status=404)


def _base(operation: str, **fields: Any) -> dict[str, Any]:
    scope = next(op.scope for op in OPERATIONS if op.name == operation)
    return {"request_id": str(uuid.uuid4()), "operation": operation, "scope": scope, **fields}


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


FULLWIDTH = "".join(chr(ord("０") + int(c)) for c in FNR)
ARABIC_INDIC = "".join(chr(0x0660 + int(c)) for c in FNR)

CORPUS: dict[str, tuple[dict[str, Any], bool]] = {
    "get": (_base("medlemskapsunntak.get", unntak_id=1), True),
    "get, every field": (_base("medlemskapsunntak.get", unntak_id=9, inkluder_sporingsinfo=True), True),
    "unntak_id as text": (_base("medlemskapsunntak.get", unntak_id="1000000"), False),
    "unntak_id true": (_base("medlemskapsunntak.get", unntak_id=True), False),
    "unntak_id 0": (_base("medlemskapsunntak.get", unntak_id=0), False),
    "unntak_id past int64": (_base("medlemskapsunntak.get", unntak_id=2**63), False),
    "unntak_id null": (_base("medlemskapsunntak.get", unntak_id=None), False),
    "sporingsinfo as 1": (_base("medlemskapsunntak.get", unntak_id=1, inkluder_sporingsinfo=1), False),
    "no unntak_id": (_base("medlemskapsunntak.get"), False),
    "an unknown field": (_base("medlemskapsunntak.get", unntak_id=1, extra="x"), False),
    "an unknown operation": ({**_base("medlemskapsunntak.get", unntak_id=1), "operation": "x.y"}, False),
    "no scope": (_without(_base("medlemskapsunntak.get", unntak_id=1), "scope"), False),
    "scope a number": ({**_base("medlemskapsunntak.get", unntak_id=1), "scope": 1}, False),
    "request_id not a uuid": ({**_base("medlemskapsunntak.get", unntak_id=1), "request_id": "abc"}, False),
    "search": (_base("medlemskapsunntak.search", ident=FNR), True),
    "search, dates and lists": (
        _base(
            "medlemskapsunntak.search",
            ident=FNR,
            type="MED_MEDLEMSKAP",
            fra_og_med="2020-01-01",
            til_og_med="2020-12-31",
            statuser=["GYLD"],
            ekskluder_kilder=["AVGSYS"],
        ),
        True,
    ),
    "a date as 0": (_base("medlemskapsunntak.search", ident=FNR, fra_og_med=0), False),
    "a date not a date": (_base("medlemskapsunntak.search", ident=FNR, fra_og_med="2020-13-01"), False),
    "a date null": (_base("medlemskapsunntak.search", ident=FNR, til_og_med=None), False),
    "an unknown type": (_base("medlemskapsunntak.search", ident=FNR, type="ALT"), False),
    "eleven list items": (_base("medlemskapsunntak.search", ident=FNR, statuser=["A"] * 11), False),
    "a list item too long": (_base("medlemskapsunntak.search", ident=FNR, statuser=["A" * 11]), False),
    "a list item a number": (_base("medlemskapsunntak.search", ident=FNR, statuser=[1]), False),
    "a list as text": (_base("medlemskapsunntak.search", ident=FNR, statuser="GYLD"), False),
    "ident a number": (_base("medlemskapsunntak.search", ident=int(FNR)), False),
    "ident ten digits": (_base("medlemskapsunntak.search", ident=FNR[:10]), False),
    "ident fullwidth digits": (_base("medlemskapsunntak.search", ident=FULLWIDTH), False),
    "ident Arabic-Indic digits": (_base("medlemskapsunntak.search", ident=ARABIC_INDIC), False),
    "ident with a space": (_base("medlemskapsunntak.search", ident=FNR[:6] + " " + FNR[6:]), False),
    "no ident": (_base("medlemskapsunntak.search"), False),
    "aap with consent": (_base("aap.vedtak", ident=FNR, consent_token="c2FtdHlra2U="), True),
    "aap, empty consent (none)": (_base("aap.vedtak", ident=FNR, consent_token=""), True),
    "aap, consent with CRLF": (_base("aap.vedtak", ident=FNR, consent_token="a\r\nX-Injected: 1"), False),
    "aap, consent with a space": (_base("aap.vedtak", ident=FNR, consent_token="a b"), False),
    "aap, consent non-ASCII": (_base("aap.vedtak", ident=FNR, consent_token="tøken"), False),
    "aap, consent a number": (_base("aap.vedtak", ident=FNR, consent_token=1), False),
    "frikort year": (_base("frikort.brev", ident=FNR, ar=2024), True),
    "frikort year as text": (_base("frikort.brev", ident=FNR, ar="2024"), False),
    "frikort year out of range": (_base("frikort.brev", ident=FNR, ar=1999), False),
    "deadline": (_base("frikort.brev", ident=FNR, deadline="2999-01-01T00:00:00Z"), True),
    "deadline a number": (_base("frikort.brev", ident=FNR, deadline=0), False),
    "deadline not a time": (_base("frikort.brev", ident=FNR, deadline="tomorrow"), False),
    "reply_to a number": (_base("frikort.brev", ident=FNR, reply_to=7), False),
    "sareksport": (_base("sareksport.samhandlere", endret_etter="2024-01-01T00:00:00+01:00"), True),
    "sareksport, a date for a time": (_base("sareksport.samhandlere", endret_etter="2024-01-01"), False),
}


def _adapter_takes(body: dict[str, Any]) -> bool:
    """Whether the lookups passed the request's contract: it got as far as NAV or its admission."""
    service = LookupService(nav=NotFoundNav(), policy=POLICY)
    out = asyncio.run(service.handle(Incoming("req", 0, 1, None, orjson.dumps(body), ())))
    if out[0].topic == "dlq":
        return False
    reply = orjson.loads(out[0].value)
    assert reply["status"] == "error"  # NAV answers NOT_FOUND to everything here
    assert reply["error"]["code"] != ErrorCode.INTERNAL
    return bool(reply["error"]["code"] != ErrorCode.INVALID_REQUEST)


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_schema_and_the_adapter_agree(name: str) -> None:
    body, valid = CORPUS[name]
    assert VALIDATOR.is_valid(body) == valid, f"schema: {name}"
    assert _adapter_takes(body) == valid, f"adapter: {name}"


@pytest.mark.parametrize(
    "ident", ["13097248023", "32017248022", "00000000000"], ids=["control digit", "no such day", "zeros"]
)
def test_what_no_schema_can_say_the_adapter_checks_beyond_it(ident: str) -> None:
    body = _base("medlemskapsunntak.search", ident=ident)
    assert VALIDATOR.is_valid(body)
    assert not _adapter_takes(body)
    wrong_scope = {**_base("medlemskapsunntak.get", unntak_id=1), "scope": "nav:arbeid/v1/aap"}
    assert VALIDATOR.is_valid(wrong_scope) and not _adapter_takes(wrong_scope)
    # JSON Schema counts 1.0 as an integer; the adapter, validating strictly, wants the integer.
    a_float = _base("medlemskapsunntak.get", unntak_id=1.0)
    assert VALIDATOR.is_valid(a_float) and not _adapter_takes(a_float)
