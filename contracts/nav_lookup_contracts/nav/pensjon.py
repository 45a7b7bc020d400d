"""Pensjon Vedtaksinformasjon and Simuler Alderspensjon V3, from NAV's pensjon-ekstern-api specs.

The vedtak lists carry many optional figures; NAV's gateway and APIM specs drift slightly in
naming, so these models keep the fields the spec confirms and ignore the rest.
"""

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from nav_lookup_contracts._wire import NavModel
from nav_lookup_contracts.ident import Ident


class Merknad(NavModel):
    kode: str | None = None
    argumentListe: list[str] = []


class Kodeobjekt(NavModel):
    code: str | None = None
    decode: str | None = None


class Ytelsekomponent(NavModel):
    # Subtypes (Grunnpensjon, Tilleggspensjon, ...) add fields of their own; keep them all.
    model_config = ConfigDict(extra="allow")

    ytelseskomponentType: str
    brutto: int | None = None
    bruttoPerAr: float | None = None
    fradrag: int | None = None
    netto: int | None = None
    erBrukt: bool | None = None
    fradragsTransaksjon: bool | None = None
    inntektBruktIAvkorting: int | None = None
    resultatKilde: Kodeobjekt | None = None
    sakType: Kodeobjekt | None = None
    ytelseKomponentTypeCti: Kodeobjekt | None = None
    formelKode: Kodeobjekt | None = None


class _VedtakInfo(NavModel):
    vedtaksKode: str | None = None
    virkFom: date | None = None
    virkTom: date | None = None
    vedtakId: int | None = None
    trygdetidAnvendt: int | None = None
    totalbelopNetto: int | None = None
    resultatKilde: str | None = None
    merknadsListe: list[Merknad] = []
    sakType: str | None = None
    ytelseskomponenter: list[Ytelsekomponent] = []


class Kap20Info(_VedtakInfo):
    pensjonsbeholdning: float | None = None
    garantitilleggsbeholdning: float | None = None
    garantipensjonsnivasats: str | None = None
    garantipensjonsnivasatsBelop: float | None = None
    garantipensjonsbeholdning: float | None = None
    totalbelopNettoAr: float | None = None
    delingstallUttak: float | None = None
    delingstall67: float | None = None
    uttaksgrad: int | None = None
    minstenivatilleggIndividuelt: int | None = None
    minstenivatilleggPensjonistpar: int | None = None
    uvektedeYtelseskomponenter: list[Ytelsekomponent] = []


class Poengrekke(NavModel):
    model_config = ConfigDict(extra="allow")

    sluttpoengtall: float | None = None


class Kap19Info(_VedtakInfo):
    resultatKode: str | None = None
    uttaksgrad: int | None = None
    basisgp: float | None = None
    basistp: float | None = None
    basispt: float | None = None
    forholdstallUttak: float | None = None
    forholdstall67: float | None = None
    grunnpensjonsats: float | None = None
    totalbelopNettoAr: float | None = None
    spt: Poengrekke | None = None
    ypt: Poengrekke | None = None
    yrkesskadegrad: float | None = None
    uforegrad: int | None = None


class AfpPrivatInfo(_VedtakInfo):
    forholdstallKompensasjonstillegg: float | None = None
    afpOpptjeningTotalbelop: float | None = None


class AfpOffentligInfo(_VedtakInfo):
    resultatKode: str | None = None
    uttaksgrad: int | None = None
    grunnpensjonsats: float | None = None
    fremtidigPensjonsgivendeInntektBruker: int | None = None


class Ap67Info(_VedtakInfo):
    resultatKode: str | None = None
    brutto: int | None = None
    netto: int | None = None
    p67Beregning: bool | None = None
    grunnpensjonsats: float | None = None
    sertilleggsats: float | None = None
    ventetilleggProsent: float | None = None


class Vedtaksinformasjon(NavModel):
    kap20InfoList: list[Kap20Info]
    kap19InfoList: list[Kap19Info]
    afpPrivatInfoList: list[AfpPrivatInfo]
    afpOffentligInfoList: list[AfpOffentligInfo]
    ap67InfoList: list[Ap67Info]


class SivilstandVedPensjonering(StrEnum):
    ENKE = "ENKE"
    GIFT = "GIFT"
    GJES = "GJES"
    GJPA = "GJPA"
    GJSA = "GJSA"
    GLAD = "GLAD"
    NULL = "NULL"
    PLAD = "PLAD"
    REPA = "REPA"
    SAMB = "SAMB"
    SEPA = "SEPA"
    SEPR = "SEPR"
    SKIL = "SKIL"
    SKPA = "SKPA"
    UGIF = "UGIF"


class Uttak(NavModel):
    datoFom: date
    grad: Literal[20, 40, 50, 60, 80, 100]


class FremtidigInntekt(NavModel):
    arligInntekt: int = Field(ge=0)
    fomDato: date


class Pensjonsperiode(NavModel):
    arligUtbetaling: int | None = None
    datoFom: str | None = None


class Simuleringsdata(NavModel):
    poengArTom1991: int | None = None
    poengArFom1992: int | None = None
    sluttpoengtall: float | None = None
    anvendtTrygdetid: int | None = None
    basisgp: float | None = None
    basistp: float | None = None
    basispt: float | None = None
    forholdstallUttak: float | None = None
    delingstallUttak: float | None = None
    uforegradVedOmregning: int | None = None
    datoFom: str | None = None


class Garantipensjonsniva(NavModel):
    belop: float | None = None
    satsType: str | None = None
    sats: float | None = None
    tt_anv: int | None = None


class Pensjonsbeholdningsperiode(NavModel):
    pensjonsbeholdning: float | None = None
    garantipensjonsbeholdning: float | None = None
    garantitilleggsbeholdning: float | None = None
    datoFom: str | None = None
    garantipensjonsniva: Garantipensjonsniva | None = None


class Delytelse(NavModel):
    # Nullable in NAV's DelytelseResultV3, as every field of its result types is.
    pensjonstype: str | None = None
    belop: int | None = None


class AlderspensjonFraFolketrygden(NavModel):
    datoFom: str | None = None
    uttaksgrad: int | None = None
    delytelser: list[Delytelse] = []


class AlderspensjonResultV3(NavModel):
    pensjonsperioder: list[Pensjonsperiode] = []
    simuleringsdataListe: list[Simuleringsdata] = []
    pensjonsbeholdningsperioder: list[Pensjonsbeholdningsperiode] = []
    alderspensjonFraFolketrygden: list[AlderspensjonFraFolketrygden] = []
    harUttak: bool | None = None
    harTidligereUttak: bool | None = None
    afpPrivatBeholdningVedUttak: int | None = None
    sisteGyldigeOpptjeningsAr: int | None = None


class SimuleringFeil(NavModel):
    """The body of the simulation's 400 and 500: `kode` is the name of NAV's exception
    (e.g. UtilstrekkeligOpptjeningException), `feil` its text."""

    feil: str | None = None
    kode: str | None = None


class SimulerAlderspensjonRequestV3(NavModel):
    """The POST body NAV takes; `fnr` is checked like every other ident."""

    # A body we send must not silently drop a caller's misspelt field.
    model_config = ConfigDict(extra="forbid")

    fnr: Ident
    sivilstandVedPensjonering: SivilstandVedPensjonering
    forsteUttak: Uttak
    heltUttak: Uttak | None = None
    arIUtlandetEtter16: int | None = Field(None, ge=0)
    epsPensjon: bool | None = None
    eps2G: bool | None = None
    fremtidigInntektListe: list[FremtidigInntekt] = []
    simulerMedAfpPrivat: bool | None = None
