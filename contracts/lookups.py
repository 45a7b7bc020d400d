"""Lookup requests: one model per operation, a discriminated union on `operation`.

Field names are snake_case; the operations table says where each goes in NAV's HTTP request.
"""

import re
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, SecretStr, TypeAdapter, field_serializer, field_validator

from contracts._wire import WireModel
from contracts.ident import Ident
from contracts.nav.pensjon import SimulerAlderspensjonRequestV3

_HEADER_VALUE = re.compile(r"[\x21-\x7e]+")
"""Visible ASCII: what an HTTP header value can carry without being rewritten or split."""

TOPIC_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,249}$"
"""What Kafka accepts as a topic name."""
TopicName = Annotated[str, Field(pattern=TOPIC_NAME_PATTERN)]
Tpnr = Annotated[str, Field(pattern=r"^[0-9]{1,4}$", description="Tjenestepensjonsordningens nummer")]


class LookupBase(WireModel):
    request_id: UUID = Field(description="Idempotency key; sent to NAV as Nav-Call-Id.")
    scope: str = Field(description="The NAV scope of the operation, e.g. nav:helse/v1/medlemskapsunntak.")
    reply_to: TopicName | None = Field(
        None,
        description="Reply topic, one this caller may name; if absent, the caller's own reply topic.",
    )
    deadline: AwareDatetime | None = Field(None, description="No NAV call is made after this instant.")

    def subject_ident(self) -> str | None:
        """The person the lookup is about, for audit and masking; None for non-person lookups."""
        ident = getattr(self, "ident", None)
        return ident if isinstance(ident, str) else None


class ConsentMixin(WireModel):
    consent_token: SecretStr | None = Field(
        None,
        description="The person's Altinn consent token (base64), sent as NAV-Samtykke-Token; empty is none.",
        json_schema_extra={"pattern": "^[!-~]*$"},
    )

    @field_validator("consent_token", mode="before")
    @classmethod
    def _a_header_value_or_none(cls, value: object) -> object:
        # An empty token is no token (CONSENT_REQUIRED, never sent); anything else becomes an HTTP
        # header, so a CR, LF or non-ASCII character is the caller's error before any call is built.
        if value == "":
            return None
        if isinstance(value, str) and not _HEADER_VALUE.fullmatch(value):
            raise ValueError("consent_token must be visible ASCII characters only")
        return value

    @field_serializer("consent_token", when_used="json")
    def _reveal_on_the_wire(self, token: SecretStr | None) -> str | None:
        # The token must travel; SecretStr still hides it from repr() and logs.
        return token.get_secret_value() if token is not None else None


class MedlemskapsunntakGet(LookupBase):
    operation: Literal["medlemskapsunntak.get"]
    unntak_id: int = Field(ge=1, le=2**63 - 1)
    inkluder_sporingsinfo: bool = False


class MedlemskapsunntakSearch(LookupBase):
    operation: Literal["medlemskapsunntak.search"]
    ident: Ident
    type: Literal["MED_MEDLEMSKAP", "UTEN_MEDLEMSKAP"] | None = None
    fra_og_med: date | None = None
    til_og_med: date | None = None
    statuser: list[Annotated[str, Field(max_length=10)]] = Field(default_factory=list, max_length=10)
    ekskluder_kilder: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=10)
    inkluder_sporingsinfo: bool = False


class UforeopplysningerGet(ConsentMixin, LookupBase):
    operation: Literal["uforeopplysninger.get"]
    ident: Ident
    fom_dato: date | None = None
    tom_dato: date | None = None


class AapVedtak(ConsentMixin, LookupBase):
    operation: Literal["aap.vedtak"]
    ident: Ident
    fom_dato: date | None = None
    tom_dato: date | None = None


class AapMeldekort(ConsentMixin, LookupBase):
    operation: Literal["aap.meldekort"]
    ident: Ident
    fom_dato: date | None = None
    tom_dato: date | None = None


class FrikortBrev(LookupBase):
    operation: Literal["frikort.brev"]
    ident: Ident
    ar: int | None = Field(None, ge=2000, le=2100, description="Year of the letters; all if absent.")


class SarEksport(LookupBase):
    operation: Literal["sareksport.samhandlere"]
    endret_etter: AwareDatetime | None = None
    side: int = Field(0, ge=0)
    antall: int = Field(100, ge=1, le=1000)


class PensjonVedtaksinformasjon(LookupBase):
    operation: Literal["pensjon.vedtaksinformasjon"]
    ident: Ident
    tpnr: Tpnr
    fom: date


class PensjonSimulerAlderspensjon(LookupBase):
    operation: Literal["pensjon.simuler_alderspensjon"]
    tpnr: Tpnr
    hent_full_ap_liste: bool = False
    simulering: SimulerAlderspensjonRequestV3

    def subject_ident(self) -> str | None:
        return self.simulering.fnr


LookupRequest = Annotated[
    MedlemskapsunntakGet
    | MedlemskapsunntakSearch
    | UforeopplysningerGet
    | AapVedtak
    | AapMeldekort
    | FrikortBrev
    | SarEksport
    | PensjonVedtaksinformasjon
    | PensjonSimulerAlderspensjon,
    Field(discriminator="operation"),
]

LOOKUP_REQUEST: TypeAdapter[LookupRequest] = TypeAdapter(LookupRequest)
"""Parse any lookup request: `LOOKUP_REQUEST.validate_json(raw, context={...})`."""

__all__ = [
    "LOOKUP_REQUEST",
    "TOPIC_NAME_PATTERN",
    "AapMeldekort",
    "AapVedtak",
    "FrikortBrev",
    "LookupBase",
    "LookupRequest",
    "MedlemskapsunntakGet",
    "MedlemskapsunntakSearch",
    "PensjonSimulerAlderspensjon",
    "PensjonVedtaksinformasjon",
    "SarEksport",
    "UforeopplysningerGet",
]
