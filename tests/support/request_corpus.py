"""Requests as a hostile or careless caller writes them, each with whether the published schema
(and so the adapter) takes it."""

import uuid
from typing import Any

from nav_lookup_contracts import OPERATIONS

FNR = "13097248022"


def base(operation: str, **fields: Any) -> dict[str, Any]:
    scope = next(op.scope for op in OPERATIONS if op.name == operation)
    return {"request_id": str(uuid.uuid4()), "operation": operation, "scope": scope, **fields}


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


FULLWIDTH = "".join(chr(ord("０") + int(c)) for c in FNR)
ARABIC_INDIC = "".join(chr(0x0660 + int(c)) for c in FNR)

CORPUS: dict[str, tuple[dict[str, Any], bool]] = {
    "get": (base("medlemskapsunntak.get", unntak_id=1), True),
    "get, every field": (base("medlemskapsunntak.get", unntak_id=9, inkluder_sporingsinfo=True), True),
    "unntak_id as text": (base("medlemskapsunntak.get", unntak_id="1000000"), False),
    "unntak_id true": (base("medlemskapsunntak.get", unntak_id=True), False),
    "unntak_id 0": (base("medlemskapsunntak.get", unntak_id=0), False),
    "unntak_id past int64": (base("medlemskapsunntak.get", unntak_id=2**63), False),
    "unntak_id null": (base("medlemskapsunntak.get", unntak_id=None), False),
    "sporingsinfo as 1": (base("medlemskapsunntak.get", unntak_id=1, inkluder_sporingsinfo=1), False),
    "no unntak_id": (base("medlemskapsunntak.get"), False),
    "an unknown field": (base("medlemskapsunntak.get", unntak_id=1, extra="x"), False),
    "an unknown operation": ({**base("medlemskapsunntak.get", unntak_id=1), "operation": "x.y"}, False),
    "no scope": (_without(base("medlemskapsunntak.get", unntak_id=1), "scope"), False),
    "scope a number": ({**base("medlemskapsunntak.get", unntak_id=1), "scope": 1}, False),
    "request_id not a uuid": ({**base("medlemskapsunntak.get", unntak_id=1), "request_id": "abc"}, False),
    "search": (base("medlemskapsunntak.search", ident=FNR), True),
    "search, dates and lists": (
        base(
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
    "a date as 0": (base("medlemskapsunntak.search", ident=FNR, fra_og_med=0), False),
    "a date not a date": (base("medlemskapsunntak.search", ident=FNR, fra_og_med="2020-13-01"), False),
    "a date null": (base("medlemskapsunntak.search", ident=FNR, til_og_med=None), False),
    "an unknown type": (base("medlemskapsunntak.search", ident=FNR, type="ALT"), False),
    "eleven list items": (base("medlemskapsunntak.search", ident=FNR, statuser=["A"] * 11), False),
    "a list item too long": (base("medlemskapsunntak.search", ident=FNR, statuser=["A" * 11]), False),
    "a list item a number": (base("medlemskapsunntak.search", ident=FNR, statuser=[1]), False),
    "a list as text": (base("medlemskapsunntak.search", ident=FNR, statuser="GYLD"), False),
    "ident a number": (base("medlemskapsunntak.search", ident=int(FNR)), False),
    "ident ten digits": (base("medlemskapsunntak.search", ident=FNR[:10]), False),
    "ident fullwidth digits": (base("medlemskapsunntak.search", ident=FULLWIDTH), False),
    "ident Arabic-Indic digits": (base("medlemskapsunntak.search", ident=ARABIC_INDIC), False),
    "ident with a space": (base("medlemskapsunntak.search", ident=FNR[:6] + " " + FNR[6:]), False),
    "no ident": (base("medlemskapsunntak.search"), False),
    "aap with consent": (base("aap.vedtak", ident=FNR, consent_token="c2FtdHlra2U="), True),
    "aap, empty consent (none)": (base("aap.vedtak", ident=FNR, consent_token=""), True),
    "aap, consent with CRLF": (base("aap.vedtak", ident=FNR, consent_token="a\r\nX-Injected: 1"), False),
    "aap, consent with a space": (base("aap.vedtak", ident=FNR, consent_token="a b"), False),
    "aap, consent non-ASCII": (base("aap.vedtak", ident=FNR, consent_token="tøken"), False),
    "aap, consent a number": (base("aap.vedtak", ident=FNR, consent_token=1), False),
    "frikort year": (base("frikort.brev", ident=FNR, ar=2024), True),
    "frikort year as text": (base("frikort.brev", ident=FNR, ar="2024"), False),
    "frikort year out of range": (base("frikort.brev", ident=FNR, ar=1999), False),
    "deadline": (base("frikort.brev", ident=FNR, deadline="2999-01-01T00:00:00Z"), True),
    "deadline a number": (base("frikort.brev", ident=FNR, deadline=0), False),
    "deadline not a time": (base("frikort.brev", ident=FNR, deadline="tomorrow"), False),
    "reply_to a number": (base("frikort.brev", ident=FNR, reply_to=7), False),
    "sareksport": (base("sareksport.samhandlere", endret_etter="2024-01-01T00:00:00+01:00"), True),
    "sareksport, a date for a time": (base("sareksport.samhandlere", endret_etter="2024-01-01"), False),
}
