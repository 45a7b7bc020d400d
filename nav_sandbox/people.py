"""Deterministic synthetic people, with data for every operation, and SAR samhandler records.

Every ident is a NAV/Dolly synthetic one (month + 40), some also D-nummer (day + 40), with real
control digits, so it passes `check_ident(..., allow_synthetic=True)` and can never be a real
person's number.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from nav_lookup_contracts.nav.aap import DsopMeldekort, DsopVedtak, Kodeverdi, Periode
from nav_lookup_contracts.nav.helserefusjon import Frikortbrev, Samhandler
from nav_lookup_contracts.nav.medlemskap import Medlemskapsunntak, Sporingsinformasjon, Studieinformasjon
from nav_lookup_contracts.nav.pensjon import Vedtaksinformasjon
from nav_lookup_contracts.nav.uforeopplysninger import (
    BeregningsperiodeProdusentDTO,
    UforedataProdusentDTO,
    Uforestatus,
)
from nav_sandbox.idents import synthetic_ident


@dataclass(frozen=True)
class Person:
    ident: str
    description: str
    born: date
    tp_ordninger: frozenset[str]
    medlemskapsunntak: tuple[Medlemskapsunntak, ...]
    uforedata: UforedataProdusentDTO
    aap_vedtak: tuple[DsopVedtak, ...]
    aap_meldekort: tuple[DsopMeldekort, ...]
    frikortbrev: tuple[Frikortbrev, ...]
    vedtaksinformasjon: Vedtaksinformasjon
    arlig_alderspensjon: int
    """The yearly old-age pension at 100 % uttak that simulations are scaled from."""


@dataclass(frozen=True)
class _Profile:
    born: date
    individnummer: int
    d_nummer: bool
    description: str
    ufore: Uforestatus
    uforegrad: int
    lovvalgsland: str


_PROFILES = (
    _Profile(date(1955, 3, 14), 120, False, "ufør, så alderspensjonist", Uforestatus.OPPHORT, 60, "SWE"),
    _Profile(date(1960, 11, 2), 240, False, "ufør 50 % fra 2015", Uforestatus.LOPENDE, 50, "DEU"),
    _Profile(date(1962, 6, 30), 360, True, "D-nummer, ufør 100 %", Uforestatus.LOPENDE, 100, "POL"),
    _Profile(date(1971, 1, 19), 410, False, "AAP, søkt uføretrygd", Uforestatus.UNDER_BEHANDLING, 0, "DNK"),
    _Profile(date(1984, 8, 7), 55, False, "AAP, uføretrygd avslått", Uforestatus.AVSLAG, 0, "GBR"),
    _Profile(
        date(1990, 12, 24), 470, True, "D-nummer, klager på avslag", Uforestatus.KLAGE_PA_AVSLAG, 0, "LTU"
    ),
    _Profile(date(2001, 5, 5), 512, False, "student i utlandet", Uforestatus.EKSPORT, 0, "ESP"),
)

_AT = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)
_CODES = {
    "vedtakstype": Kodeverdi(kode="O", termnavn="Ny rettighet"),
    "vedtaksvariant": Kodeverdi(kode="O_AAP", termnavn="Ny rettighet AAP"),
    "vedtakstatus": Kodeverdi(kode="IVERK", termnavn="Iverksatt"),
    "rettighetstype": Kodeverdi(kode="AAP", termnavn="Arbeidsavklaringspenger"),
    "utfall": Kodeverdi(kode="JA", termnavn="Ja"),
    "aktivitetsfase": Kodeverdi(kode="UA", termnavn="Under arbeidsavklaring"),
}


def _unntak(i: int, p: _Profile, ident: str) -> tuple[Medlemskapsunntak, ...]:
    student = p.description.startswith("student")
    out = []
    for j in range(2):
        start = date(2015 + i % 5 + 2 * j, 1 + i, 1)
        kilde = "LAANEKASSEN" if student else ("AVGSYS" if j else "MEDL")
        out.append(
            Medlemskapsunntak(
                unntakId=1_000_000 + 10 * i + j,
                ident=ident,
                fraOgMed=start,
                tilOgMed=start.replace(year=start.year + 1) - timedelta(days=1),
                status="AVST" if j and i % 3 == 0 else "GYLD",
                statusaarsak="Feilregistrert" if j and i % 3 == 0 else None,
                dekning="Unntatt" if (i + j) % 2 else "Full",
                helsedel=(i + j) % 2 == 0,
                medlem=(i + j) % 2 == 0,
                lovvalg="ENDL",
                lovvalgsland="NOR" if (i + j) % 2 == 0 else p.lovvalgsland,
                grunnlag="FO_13_1_a" if j else "FO_11_3_a",
                sporingsinformasjon=Sporingsinformasjon(
                    versjon=1 + j,
                    registrert=start - timedelta(days=30),
                    besluttet=start - timedelta(days=14),
                    kilde=kilde,
                    kildedokument="Dokument",
                    opprettet=_AT + timedelta(days=100 * i + j),
                    opprettetAv="SANDBOX",
                    sistEndret=_AT + timedelta(days=100 * i + j + 7),
                    sistEndretAv="SANDBOX",
                ),
                studieinformasjon=Studieinformasjon(
                    delstudie=bool(j),
                    soeknadInnvilget=True,
                    statsborgerland="NOR",
                    studieland=p.lovvalgsland,
                )
                if student
                else None,
            )
        )
    return tuple(out)


def _uforedata(p: _Profile) -> UforedataProdusentDTO:
    if p.ufore not in (Uforestatus.LOPENDE, Uforestatus.OPPHORT):
        return UforedataProdusentDTO(status=p.ufore)
    # Uføretrygd ends (OPPHORT) when old-age pension takes over at 67.
    slutt = date(p.born.year + 67, p.born.month, 1) - timedelta(days=1)
    starts = (date(2015, 3, 1), date(2018, 1, 1))
    return UforedataProdusentDTO(
        status=p.ufore,
        forsteVirkningstidspunkt=starts[0],
        beregningsperioder=[
            BeregningsperiodeProdusentDTO(
                fom=start,
                tom=starts[1] - timedelta(days=1)
                if k == 0
                else (slutt if p.ufore is Uforestatus.OPPHORT else None),
                uforegrad=p.uforegrad,
                uforetidspunkt=date(2014, 9, 1),
                ifu=410_000 + 10_000 * k,
                inntektBruktIAvkortingen=0 if p.uforegrad == 100 else 180_000,
                ferdiglignetInntekt=k == 0,
                klagebehandles=False,
            )
            for k, start in enumerate(starts)
        ],
    )


def _aap(i: int) -> tuple[tuple[DsopVedtak, ...], tuple[DsopMeldekort, ...]]:
    start = date(2018 + i % 4, 2 + i, 1)
    monday = start + timedelta(days=-start.weekday() % 7)
    vedtak = tuple(
        DsopVedtak(
            vedtakId=50_000 + 10 * i + j,
            virkningsperiode=Periode(
                fraDato=start + timedelta(days=365 * j),
                tilDato=start + timedelta(days=365 * j + 364),
            ),
            vedtakstype=_CODES["vedtakstype"],
            vedtaksvariant=_CODES["vedtaksvariant"],
            vedtakstatus=_CODES["vedtakstatus"],
            rettighetstype=_CODES["rettighetstype"],
            utfall=_CODES["utfall"],
            aktivitetsfase=_CODES["aktivitetsfase"],
        )
        for j in range(1 + i % 2)
    )
    meldekort = tuple(
        DsopMeldekort(
            meldekortId=700_000 + 10 * i + j,
            periode=Periode(
                fraDato=monday + timedelta(days=14 * j),
                tilDato=monday + timedelta(days=14 * j + 13),
            ),
            antallTimerArbeidet=7.5 * ((i + j) % 5),
        )
        for j in range(3)
    )
    return vedtak, meldekort


def _frikortbrev(i: int) -> tuple[Frikortbrev, ...]:
    return tuple(
        Frikortbrev(
            brevId=f"FK-{2023 + j}-{i:04d}",
            frikorttype="EGENANDELSTAK_1" if (i + j) % 2 == 0 else "EGENANDELSTAK_2",
            vedtaksdato=date(2023 + j, 6 + i % 6, 10),
            gyldigFra=date(2023 + j, 6 + i % 6, 10),
            gyldigTil=date(2023 + j, 12, 31),
            egenandelstak=(3040, 3165)[j],
        )
        for j in range(2)
    )


def _vedtaksinformasjon(i: int, p: _Profile, arlig: int) -> Vedtaksinformasjon:
    komponent = {"brutto": arlig // 24, "netto": arlig // 24, "erBrukt": True}
    vedtak = {
        "vedtaksKode": "FORSTEGANGSBEHANDLING",
        "virkFom": date(max(p.born.year + 67, 2016), p.born.month, 1).isoformat(),
        "vedtakId": 9_000_000 + i,
        "trygdetidAnvendt": 40 - i,
        "totalbelopNetto": arlig // 12,
        "resultatKilde": "PESYS",
        "sakType": "ALDER",
        "merknadsListe": [{"kode": "SANDBOX", "argumentListe": []}],
        "ytelseskomponenter": [
            {"ytelseskomponentType": "GP", **komponent},
            {"ytelseskomponentType": "TP", **komponent},
        ],
        "uttaksgrad": 100,
    }
    # Born before 1963: old-age pension under chapter 19; later cohorts under chapter 20.
    if p.born.year < 1963:
        lists = {"kap19InfoList": [{**vedtak, "resultatKode": "INNV", "basisgp": arlig / 2}]}
    else:
        lists = {"kap20InfoList": [{**vedtak, "pensjonsbeholdning": arlig * 14.5}]}
    empty: list[object] = []
    return Vedtaksinformasjon.model_validate(
        {
            "kap20InfoList": empty,
            "kap19InfoList": empty,
            "afpPrivatInfoList": empty,
            "afpOffentligInfoList": empty,
            "ap67InfoList": empty,
            **lists,
        }
    )


def _person(i: int, p: _Profile) -> Person:
    ident = synthetic_ident(p.born, p.individnummer, d_nummer=p.d_nummer)
    arlig = 180_000 + 12_345 * i
    vedtak, meldekort = _aap(i)
    return Person(
        ident=ident,
        description=p.description,
        born=p.born,
        tp_ordninger=frozenset({"3010", "3200"} if p.born.year < 1963 else {"3010"}),
        medlemskapsunntak=_unntak(i, p, ident),
        uforedata=_uforedata(p),
        aap_vedtak=vedtak,
        aap_meldekort=meldekort,
        frikortbrev=_frikortbrev(i),
        vedtaksinformasjon=_vedtaksinformasjon(i, p, arlig),
        arlig_alderspensjon=arlig,
    )


PEOPLE: tuple[Person, ...] = tuple(_person(i, p) for i, p in enumerate(_PROFILES))
UNKNOWN_IDENT = synthetic_ident(date(1977, 7, 7), 300)
"""A valid synthetic ident that no sandbox person has."""

_BY_IDENT: Mapping[str, Person] = {p.ident: p for p in PEOPLE}
_UNNTAK: Mapping[int, Medlemskapsunntak] = {u.unntakId: u for p in PEOPLE for u in p.medlemskapsunntak}


def person(ident: str) -> Person | None:
    return _BY_IDENT.get(ident)


def medlemskapsunntak(unntak_id: int) -> Medlemskapsunntak | None:
    return _UNNTAK.get(unntak_id)


_SAMHANDLERTYPER = (
    ("LE", "Legekontor"),
    ("FT", "Fysioterapi"),
    ("KI", "Kiropraktor"),
    ("TL", "Tannlege"),
)

SAMHANDLERE: tuple[Samhandler, ...] = tuple(
    Samhandler(
        samhandlerId=f"SAR{100_000 + k}",
        navn=f"Sandbox {_SAMHANDLERTYPER[k % 4][1]} {k + 1}",
        samhandlertype=_SAMHANDLERTYPER[k % 4][0],
        orgnr=f"{310_000_000 + 1_003 * k}" if k % 4 != 3 else None,
        hprnr=f"{9_100_000 + k}" if k % 4 == 3 else None,
        endret=datetime(2024, 1, 1, 6, 0, tzinfo=UTC) + timedelta(days=5 * k, hours=k),
    )
    for k in range(23)
)
"""SAR records, oldest change first."""
