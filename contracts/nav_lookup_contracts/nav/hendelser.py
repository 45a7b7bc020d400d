"""NAV's event feeds: Helse Trygdehendelser, Helserefusjon KUHR FKR hendelser and Pensjon
Samordningspliktige Hendelser, item by item and page by page, with NAV's field names.

Enumerations are plain strings (the known values are listed beside them): a bridge must not
stop because NAV added a value. Unknown fields are ignored here, and the bridge publishes each
item as NAV served it, so nothing NAV adds is lost.
"""

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import ConfigDict

from nav_lookup_contracts._wire import NavModel

# --- Helse Trygdehendelser (field names confirmed; parameter names and path inferred) ---

TRYGDEHENDELSE_TYPER = ("OPPRETTET", "ENDRET", "ANNULLERT")
"""Only OPPRETTET is confirmed; the others are the likely rest of the enum."""
HJEMMELGRUPPER = ("EOS", "OEVRIGE")
"""An item's `metadata.hjemmelgruppe`; the request filter also accepts "ALLE" (both)."""


class TrygdehendelseInnhold(NavModel):
    periodeId: int
    """The MEDL period (`unntakId` of medlemskapsunntak.get)."""
    personident: str


class TrygdehendelseMetadata(NavModel):
    hjemmelgruppe: str | None = None
    opprettetDato: datetime | None = None


class Trygdehendelse(NavModel):
    hendelsesnummer: int
    type: str
    innhold: TrygdehendelseInnhold
    metadata: TrygdehendelseMetadata | None = None


class TrygdehendelserSide(NavModel):
    antallHendelser: int | None = None
    totaltAntallHendelser: int | None = None
    hendelser: list[Trygdehendelse] = []


# --- Helserefusjon KUHR FKR hendelser (nothing public: modelled like Trygdehendelser) ---


class KuhrFkrInnhold(NavModel):
    # Contract unknown: keep whatever NAV sends; only the person's ident is read (for the key).
    model_config = ConfigDict(extra="allow")

    personident: str | None = None


class KuhrFkrHendelse(NavModel):
    hendelsesnummer: int
    type: str
    innhold: KuhrFkrInnhold = KuhrFkrInnhold()
    metadata: dict[str, Any] | None = None


class KuhrFkrHendelserSide(NavModel):
    antallHendelser: int | None = None
    totaltAntallHendelser: int | None = None
    hendelser: list[KuhrFkrHendelse] = []


# --- Pensjon Samordningspliktige Hendelser (navikt/samordning-hendelse-api) ---

VEDTAK_YTELSESTYPER = ("ALDER", "AFP", "OMS", "AAP", "GJENLEV", "KRIGP", "GAM_YRK", "UFOREP", "AFP_PRIVAT")
YTELSE_HENDELSETYPER = ("OPPRETT", "OPPHOR", "SLETTING")
YTELSE_TYPER = (
    "ALDER",
    "UFORE",
    "GJENLEVENDE",
    "BARN",
    "AFP",
    "OPPSATT_BTO_PEN",
    "SAERALDER",
    "TIDLIGPENSJON",
    "TIDLIGPEN_OVERGANG",
    "SAERALDERSPAASLAG",
    "PAASLAGSPENSJON",
    "OVERGANGSTILLEGG",
    "BETINGET_TP",
    "LIVSVARIG_AFP",
)
MELDINGSKODER = ("SIVILSTAND", "FODSELSNUMMER", "ADRESSE", "DOEDSFALL")
SIVILSTANDER = (
    "UOPPGITT",
    "UGIFT",
    "GIFT",
    "ENKE_ELLER_ENKEMANN",
    "SKILT",
    "SEPARERT",
    "REGISTRERT_PARTNER",
    "SEPARERT_PARTNER",
    "SKILT_PARTNER",
    "GJENLEVENDE_PARTNER",
)


class VedtakHendelse(NavModel):
    """A samordningspliktig vedtak. It has no sequence number of its own: NAV's numbers are
    row numbers per tpnr, so an item's number is its position (see `nav_lookup_contracts.feeds`).
    `sekvensnummer` is NAV's planned per-item number (an unmerged branch): used where present."""

    sekvensnummer: int | None = None
    ytelsesType: str
    identifikator: str
    vedtakId: str
    samId: str | None = None
    fom: date
    tom: date | None = None


class YtelseHendelse(NavModel):
    sekvensnummer: int
    tpnr: str
    identifikator: str
    hendelseType: str
    ytelseType: str
    datoFom: date
    datoTom: date | None = None


class Adresse(NavModel):
    adresselinje1: str | None = None
    adresselinje2: str | None = None
    adresselinje3: str | None = None
    postnr: str | None = None
    poststed: str | None = None
    land: str | None = None


class PersonHendelse(NavModel):
    sekvensnummer: int
    tpnr: str
    fnr: str
    fnrGammelt: str | None = None
    sivilstand: str | None = None
    sivilstandDato: date | None = None
    doedsdato: date | None = None
    """Null with meldingskode DOEDSFALL: the death was annulled."""
    adresse: Adresse | None = None
    meldingskode: str


class ManglendeRefusjonskravHendelse(NavModel):
    sekvensnummer: int
    tpnr: str
    fnr: str
    samId: str
    svarfrist: date


ItemT = TypeVar("ItemT", bound=NavModel)


class SamordningSide(NavModel, Generic[ItemT]):
    """NAV's `Feed<T>`. Two traps, from NAV's code rather than its docs:

    - `sisteSekvensnummer` is the highest number there is for the tpnr (the total), not "the last
      of the previous page";
    - `sisteLesteSekvensnummer` is the highest number in this page, but on an empty page it is 1
      in all four feeds: never trust it on an empty page.

    ytelser, personer and manglendeRefusjonskrav hold every number from `sekvensnummer` to
    `sekvensnummer + antall` (up to `antall + 1` items), in no order.
    """

    hendelser: list[ItemT] = []
    sisteSekvensnummer: int | None = None
    sisteLesteSekvensnummer: int | None = None
    nextUrl: str | None = None
