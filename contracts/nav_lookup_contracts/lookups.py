"""Lookup requests: one model per operation, a discriminated union on `operation`.

Field names are snake_case; the operations table says where each goes in NAV's HTTP request.
"""

import re
from datetime import date
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    field_serializer,
    field_validator,
    model_validator,
)

from nav_lookup_contracts._wire import WireModel
from nav_lookup_contracts.ident import Ident
from nav_lookup_contracts.nav.pensjon import SimulerAlderspensjonRequestV3

TOPIC_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,249}$"
"""What Kafka accepts as a topic name."""
TopicName = Annotated[str, Field(pattern=TOPIC_NAME_PATTERN)]
CONSENT_TOKEN_MAX_LENGTH = 8192
"""An Altinn 2 consent token is a signed JWT, base64-encoded: a few kilobytes at most, and it
must fit in an HTTP header."""
_HEADER_VALUE = re.compile(r"[\x21-\x7e]+")
"""Visible ASCII: what an HTTP header value can carry without being rewritten or split."""

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
    """The person's consent, of either kind: an Altinn 2 consent token (kept for consents given
    before Altinn 3) or the id of an Altinn 3 consent. One of them, never both."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": ["consent_token", "consent_id"]}})

    consent_token: SecretStr | None = Field(
        None,
        description="The person's Altinn 2 consent token (base64), sent as NAV-Samtykke-Token; "
        "visible ASCII, at most 8192 characters. Not with consent_id.",
        json_schema_extra={"maxLength": CONSENT_TOKEN_MAX_LENGTH, "pattern": "^[\\x21-\\x7e]*$"},
    )
    consent_id: UUID | None = Field(
        None,
        description="The id of the person's Altinn 3 consent; the adapter asks Maskinporten for a "
        "token carrying it. Not with consent_token.",
    )

    @field_validator("consent_token", mode="before")
    @classmethod
    def _a_header_value_or_none(cls, value: object) -> object:
        # An empty token is no token (CONSENT_REQUIRED, never sent); anything else becomes an HTTP
        # header, so a CR, LF or non-ASCII character is the caller's error before any call is built.
        # The messages never quote the token.
        if value == "":
            return None
        if isinstance(value, str):
            if len(value) > CONSENT_TOKEN_MAX_LENGTH:
                raise ValueError(f"consent_token must be at most {CONSENT_TOKEN_MAX_LENGTH} characters")
            if not _HEADER_VALUE.fullmatch(value):
                raise ValueError("consent_token must be visible ASCII characters only")
        return value

    @field_validator("consent_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # An empty id is no consent (CONSENT_REQUIRED, NAV not called), not a malformed one.
        return None if value == "" else value

    @model_validator(mode="after")
    def _one_kind_of_consent(self) -> Self:
        if self.consent_token is not None and self.consent_id is not None:
            raise ValueError("give consent_token (Altinn 2) or consent_id (Altinn 3), not both")
        return self

    @field_serializer("consent_token", when_used="json")
    def _reveal_on_the_wire(self, token: SecretStr | None) -> str | None:
        # The token must travel; SecretStr still hides it from repr() and logs.
        return token.get_secret_value() if token is not None else None

    def consent_given(self) -> bool:
        return self.consent_token is not None or self.consent_id is not None


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
    tpnr: Tpnr | None = Field(
        None, description="Sent as tp-nr if given; NAV reads the TP scheme from the token instead."
    )
    hent_full_ap_liste: bool = Field(
        False, description="Sent as hentFullAPListe; has no effect: NAV always returns first and full uttak."
    )
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
