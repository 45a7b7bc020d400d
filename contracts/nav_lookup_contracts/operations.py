"""The table of NAV lookup operations: the one place that says how a request becomes a NAV call.

The NAV client, the NAV sandbox, docs' tables and the JSON Schemas are all driven from
`OPERATIONS`. Correcting or adding an API is one row here (plus its models).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import TypeAdapter

from nav_lookup_contracts import lookups
from nav_lookup_contracts._wire import NavModel
from nav_lookup_contracts.nav.aap import MeldekortResponse, VedtakResponse
from nav_lookup_contracts.nav.helserefusjon import FrikortbrevListe, SarEksportSide
from nav_lookup_contracts.nav.medlemskap import Medlemskapsunntak
from nav_lookup_contracts.nav.pensjon import AlderspensjonResultV3, SimuleringFeil, Vedtaksinformasjon
from nav_lookup_contracts.nav.uforeopplysninger import UforedataProdusentDTO
from nav_lookup_contracts.replies import OkReply


class Where(StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    BODY = "body"


@dataclass(frozen=True)
class Param:
    """Request field `field` goes to NAV as `wire` in `where` (BODY: the field is the JSON body)."""

    field: str
    wire: str
    where: Where
    note: str = ""
    """What NAV does with it, where that is not what its name says."""


@dataclass(frozen=True)
class Api:
    """A NAV API. Its base URL is configured per deployment by `key`; `subscription_key` says
    whether NAV's gateway in front of it wants `Ocp-Apim-Subscription-Key` (api.nav.no does,
    pensjon-gw does not)."""

    key: str
    title: str
    default_base_url: str
    subscription_key: bool = False
    request_id_required: bool = False
    """NAV answers 400 to a call without `X-Request-Id` (a UUID)."""


@dataclass(frozen=True)
class Operation:
    name: str
    api: Api
    scope: str
    method: Literal["GET", "POST"]
    path: str
    params: tuple[Param, ...]
    request_model: type[lookups.LookupBase]
    result_type: Any
    consent_resource: str | None = None
    """The Altinn 3 resource of the person's consent, for an API that needs one. An Altinn 3
    consent travels in the Maskinporten token (`authorization_details`); an Altinn 2 consent
    token, where the request carries one instead, in the `NAV-Samtykke-Token` header."""
    # NAV answers an unknown person with 404 on some APIs, with an empty result on others, and
    # with 403 where the person must be tied to the caller (the simulation's TP scheme check).
    unknown_subject: Literal["not_found", "empty", "forbidden"] = "not_found"
    inferred: str = ""
    """What of the row NAV's public material does not confirm; empty: the row is confirmed."""
    source: str = ""
    """Where the row was read: NAV's repository, file and commit, or the portal page."""
    error_model: type[NavModel] | None = None
    """The body NAV answers errors with, where it names the error (`nav_code` of the reply)."""
    forbidden: str = ""
    """What NAV's 403 means here, besides a token without the scope."""
    other_scopes: tuple[str, ...] = ()
    """Scopes NAV accepts for this operation besides `scope`; which one the adapter's tokens
    carry is configuration (`ADAPTER_NAV_SCOPES`), and a request may name any of them."""
    result_adapter: TypeAdapter[Any] = field(init=False, repr=False, compare=False)
    reply_model: type[OkReply[Any]] = field(init=False, repr=False, compare=False)

    @property
    def status(self) -> str:
        return "inferred" if self.inferred else "confirmed"

    def __post_init__(self) -> None:
        object.__setattr__(self, "result_adapter", TypeAdapter(self.result_type))
        object.__setattr__(self, "reply_model", OkReply[self.result_type])  # type: ignore[name-defined]

    @property
    def needs_consent(self) -> bool:
        return self.consent_resource is not None

    @property
    def scopes(self) -> tuple[str, ...]:
        """Every scope NAV accepts for this operation, the default first."""
        return (self.scope, *self.other_scopes)

    def place(self, values: Mapping[str, Any], text: Callable[[Any], str] = str) -> "Placed":
        """Where each request field goes in NAV's HTTP request: the one reading of `params`.

        `values` are the request's fields by name; unset ones (None, []) are left out, and a
        list in the query is repeated. The BODY field's value is returned as it is.
        """
        path: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        body: Any = None
        for param in self.params:
            value = values.get(param.field)
            if value is None or value == []:
                continue
            if param.where is Where.PATH:
                path[param.wire] = text(value)
            elif param.where is Where.QUERY:
                query.extend((param.wire, text(v)) for v in (value if isinstance(value, list) else [value]))
            elif param.where is Where.HEADER:
                headers[param.wire] = text(value)
            else:
                body = value
        return Placed(self.path.format_map(path), tuple(query), headers, body)


@dataclass(frozen=True)
class Placed:
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: Any


CONSENT_HEADER = "NAV-Samtykke-Token"
"""The header of an Altinn 2 consent token (base64), beside the ordinary scope token."""
CONSENT_TYPE = "urn:altinn:consent"
"""`authorization_details[].type` of a Maskinporten grant for an Altinn 3 consent."""
PERSON_URN_PREFIX = "urn:altinn:person:identifier-no:"
"""`authorization_details[].from`: the person who consented, by fødselsnummer or D-nummer."""
DSOP_CONSENT_RESOURCE = "nav_samtykke_dsop_aap-ufore"
"""The Altinn 3 resource of consents to Uføreopplysninger and AAP (metadata fraogmed/tilogmed)."""

MEDLEMSKAPSUNNTAK = Api(
    "medlemskapsunntak",
    "Helse Medlemskapsunntak",
    "https://api.nav.no/helse/v1/medlemskapsunntak",
    subscription_key=True,
)
UFOREOPPLYSNINGER = Api("uforeopplysninger", "Helse Uføreopplysninger", "https://pensjon-gw.nav.no/dsop-ufo")
AAP = Api("aap", "Arbeid Arbeidsavklaringspenger", "https://api.nav.no/arbeid/v1/aap", subscription_key=True)
FRIKORT = Api(
    "frikort",
    "Helserefusjon Frikort-brev",
    "https://api.helserefusjon.no/v1/frikort",
    subscription_key=True,
)
SAREKSPORT = Api(
    "sareksport",
    "Helserefusjon SAR eksport",
    "https://api.helserefusjon.no/v1/sareksport",
    subscription_key=True,
)
VEDTAKSINFORMASJON = Api(
    "vedtaksinformasjon",
    "Pensjon Vedtaksinformasjon",
    "https://pensjon-gw.nav.no/pensjon/vedtak",
    request_id_required=True,
)
SIMULER_ALDERSPENSJON = Api(
    "simuler_alderspensjon", "Pensjon Simuler Alderspensjon", "https://pensjon-gw.nav.no"
)

APIS: tuple[Api, ...] = (
    MEDLEMSKAPSUNNTAK,
    UFOREOPPLYSNINGER,
    AAP,
    FRIKORT,
    SAREKSPORT,
    VEDTAKSINFORMASJON,
    SIMULER_ALDERSPENSJON,
)

_AAP_INFERRED = (
    "path, fnr header, consent in the token (as on Uføreopplysninger) and the response models, taken "
    "from navikt/aap-arenaoppslag's DSOP views, deleted there in 5e1ca52 (the backend is Arena's own)"
)
_AAP_SOURCE = "NAV API portal, nav-arbeid-v1-aap (finnVedtakListe, finnMeldekortListe)"
_HELSEREFUSJON_SOURCE = (
    "nothing public; host as NAV's other helserefusjon APIs (navikt/frikortoppslag-api-dokumentasjon "
    "@051dda5, navikt/kuhr-krav-api-dokumentasjon @3efbfb1)"
)
_CONSENT_FORBIDDEN = "the consent is not the person's, has expired, or does not cover the period asked for"
_DSOP_PERIOD = (
    Param("fom_dato", "fomDato", Where.QUERY),
    Param("tom_dato", "tomDato", Where.QUERY),
)
_ALTINN2_CONSENT = Param("consent_token", CONSENT_HEADER, Where.HEADER, "Altinn 2 only")

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        name="medlemskapsunntak.get",
        api=MEDLEMSKAPSUNNTAK,
        scope="nav:helse/v1/medlemskapsunntak",
        method="GET",
        path="/{unntakId}",
        params=(
            Param("unntak_id", "unntakId", Where.PATH),
            Param("inkluder_sporingsinfo", "inkluderSporingsinfo", Where.QUERY),
        ),
        request_model=lookups.MedlemskapsunntakGet,
        result_type=Medlemskapsunntak,
        source="NAV API portal, nav-helse-v1-medlemskapsunntak and its OpenAPI export",
    ),
    Operation(
        name="medlemskapsunntak.search",
        api=MEDLEMSKAPSUNNTAK,
        scope="nav:helse/v1/medlemskapsunntak",
        method="GET",
        path="/",
        params=(
            Param("ident", "Nav-Personident", Where.HEADER),
            Param("type", "type", Where.QUERY),
            Param("fra_og_med", "fraOgMed", Where.QUERY),
            Param("til_og_med", "tilOgMed", Where.QUERY),
            Param("statuser", "statuser", Where.QUERY),
            Param("ekskluder_kilder", "ekskluderKilder", Where.QUERY),
            Param("inkluder_sporingsinfo", "inkluderSporingsinfo", Where.QUERY),
        ),
        request_model=lookups.MedlemskapsunntakSearch,
        result_type=list[Medlemskapsunntak],
        unknown_subject="empty",
        inferred="ident header name Nav-Personident (MEDL2's own); list params repeated",
        source=(
            "portal OpenAPI export (search); navikt/medlemskap-oppslag MedlClient.kt, "
            "navikt/familie-ef-sak MedlClient.kt"
        ),
    ),
    Operation(
        name="uforeopplysninger.get",
        api=UFOREOPPLYSNINGER,
        scope="nav:helse/v1/uforeopplysninger",
        method="GET",
        path="/uforeopplysninger",
        params=(Param("ident", "fnr", Where.HEADER), *_DSOP_PERIOD, _ALTINN2_CONSENT),
        request_model=lookups.UforeopplysningerGet,
        result_type=UforedataProdusentDTO,
        source=(
            "navikt/pensjon-ekstern-api @3524cd0 "
            "docs/api/uforeopplysninger/apidocUforeopplysninger.yaml (a2b2db8: "
            "NAV-Samtykke-Token only for Altinn 2)"
        ),
        consent_resource=DSOP_CONSENT_RESOURCE,
        forbidden=_CONSENT_FORBIDDEN,
        unknown_subject="empty",
    ),
    Operation(
        name="aap.vedtak",
        api=AAP,
        scope="nav:arbeid/v1/aap",
        method="GET",
        path="/vedtak",
        params=(Param("ident", "fnr", Where.HEADER), *_DSOP_PERIOD, _ALTINN2_CONSENT),
        request_model=lookups.AapVedtak,
        result_type=VedtakResponse,
        consent_resource=DSOP_CONSENT_RESOURCE,
        forbidden=_CONSENT_FORBIDDEN,
        unknown_subject="empty",
        inferred=_AAP_INFERRED,
        source=_AAP_SOURCE,
    ),
    Operation(
        name="aap.meldekort",
        api=AAP,
        scope="nav:arbeid/v1/aap",
        method="GET",
        path="/meldekort",
        params=(Param("ident", "fnr", Where.HEADER), *_DSOP_PERIOD, _ALTINN2_CONSENT),
        request_model=lookups.AapMeldekort,
        result_type=MeldekortResponse,
        consent_resource=DSOP_CONSENT_RESOURCE,
        forbidden=_CONSENT_FORBIDDEN,
        unknown_subject="empty",
        inferred=_AAP_INFERRED,
        source=_AAP_SOURCE,
    ),
    Operation(
        name="frikort.brev",
        api=FRIKORT,
        scope="nav:helserefusjon/v1/frikort",
        method="GET",
        path="/brev",
        params=(Param("ident", "fnr", Where.HEADER), Param("ar", "ar", Where.QUERY)),
        request_model=lookups.FrikortBrev,
        result_type=FrikortbrevListe,
        inferred="everything: NAV publishes no contract",
        source=_HELSEREFUSJON_SOURCE,
    ),
    Operation(
        name="sareksport.samhandlere",
        api=SAREKSPORT,
        scope="nav:helserefusjon/v1/sareksport",
        method="GET",
        path="/samhandlere",
        params=(
            Param("endret_etter", "endretEtter", Where.QUERY),
            Param("side", "side", Where.QUERY),
            Param("antall", "antall", Where.QUERY),
        ),
        request_model=lookups.SarEksport,
        result_type=SarEksportSide,
        inferred="everything: NAV publishes no contract",
        source=_HELSEREFUSJON_SOURCE,
    ),
    Operation(
        name="pensjon.vedtaksinformasjon",
        api=VEDTAKSINFORMASJON,
        scope="nav:pensjon/v1/vedtaksinformasjon",
        method="GET",
        path="/informasjon",
        params=(
            Param("ident", "fnr", Where.HEADER),
            Param("tpnr", "tp-nr", Where.HEADER),
            Param("fom", "fom", Where.QUERY),
        ),
        request_model=lookups.PensjonVedtaksinformasjon,
        result_type=Vedtaksinformasjon,
        source=(
            "navikt/pensjon-ekstern-api @3524cd0 "
            "docs/api/alderspensjon/vedtaksinformasjon/apidocHentVedtaksinformasjon.yaml "
            "(scope: 1ec3b72)"
        ),
        # NAV's preferred scope; the v1 scope "skal fases ut" but is still accepted.
        other_scopes=("nav:pensjon/vedtaksinformasjon.read",),
    ),
    Operation(
        name="pensjon.simuler_alderspensjon",
        api=SIMULER_ALDERSPENSJON,
        scope="nav:pensjon/v3/alderspensjon",
        method="POST",
        path="/simuler/alderspensjon/v3",
        params=(
            Param("tpnr", "tp-nr", Where.HEADER, note="optional; NAV's backend does not read it"),
            Param("hent_full_ap_liste", "hentFullAPListe", Where.HEADER, note="no effect"),
            Param("simulering", "", Where.BODY),
        ),
        request_model=lookups.PensjonSimulerAlderspensjon,
        result_type=AlderspensjonResultV3,
        source=(
            "navikt/pensjonssimulator @5c6579e SamhandlerAlderspensjonControllerV3.kt, "
            "AlderspensjonResultMapperV3.kt, ControllerBase.kt; tp-nr doc deleted in "
            "pensjon-ekstern-api 37d7674"
        ),
        unknown_subject="forbidden",
        error_model=SimuleringFeil,
        forbidden="the person is not tied to the calling organisation's TP scheme",
    ),
)

OPERATIONS_BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
OPERATIONS_BY_MODEL: dict[type[lookups.LookupBase], Operation] = {op.request_model: op for op in OPERATIONS}


def operation_of(request: lookups.LookupBase) -> Operation:
    """The table row for a validated request."""
    return OPERATIONS_BY_MODEL[type(request)]
