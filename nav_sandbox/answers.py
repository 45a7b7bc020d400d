"""What the sandbox answers for each operation, given the validated request and the people.

`answer` returns None when NAV would not know the subject (person, unntakId, or the person's
membership of the asking tp-ordning); the API then answers 404, 403 or the operation's empty
result, as the operations table says. A request NAV's rules refuse raises `Refusal`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from math import ceil
from typing import Any

from nav_lookup_contracts import lookups
from nav_lookup_contracts.nav.aap import MeldekortResponse, Periode, VedtakResponse
from nav_lookup_contracts.nav.helserefusjon import FrikortbrevListe, SarEksportSide
from nav_lookup_contracts.nav.medlemskap import Medlemskapsunntak
from nav_lookup_contracts.nav.pensjon import (
    AlderspensjonFraFolketrygden,
    AlderspensjonResultV3,
    Delytelse,
    Pensjonsperiode,
    Uttak,
    Vedtaksinformasjon,
)
from nav_lookup_contracts.nav.uforeopplysninger import UforedataProdusentDTO, Uforestatus
from nav_lookup_contracts.operations import Operation
from nav_sandbox.people import SAMHANDLERE, Person, medlemskapsunntak, person


@dataclass(frozen=True)
class Caller:
    """What NAV knows of the caller from its token: the TP schemes its organisation serves."""

    tp_ordninger: frozenset[str]


class Refusal(Exception):
    """NAV's 400 for a request its rules refuse: `kode` is the name of NAV's exception."""

    def __init__(self, kode: str, feil: str) -> None:
        super().__init__(feil)
        self.kode = kode
        self.feil = feil


def _overlaps(fra: date | None, til: date | None, fom: date | None, tom: date | None) -> bool:
    return (fom is None or til is None or til >= fom) and (tom is None or fra is None or fra <= tom)


def _visible(unntak: Medlemskapsunntak, sporingsinfo: bool) -> Medlemskapsunntak:
    return unntak if sporingsinfo else unntak.model_copy(update={"sporingsinformasjon": None})


def _unntak_get(r: lookups.MedlemskapsunntakGet, _: Caller) -> Medlemskapsunntak | None:
    unntak = medlemskapsunntak(r.unntak_id)
    return None if unntak is None else _visible(unntak, r.inkluder_sporingsinfo)


def _unntak_search(r: lookups.MedlemskapsunntakSearch, _: Caller) -> list[Medlemskapsunntak] | None:
    if (p := person(r.ident)) is None:
        return None

    def wanted(u: Medlemskapsunntak) -> bool:
        kilde = u.sporingsinformasjon.kilde if u.sporingsinformasjon else None
        return (
            (r.type is None or u.medlem == (r.type == "MED_MEDLEMSKAP"))
            and _overlaps(u.fraOgMed, u.tilOgMed, r.fra_og_med, r.til_og_med)
            and (not r.statuser or u.status in r.statuser)
            and kilde not in r.ekskluder_kilder
        )

    return [_visible(u, r.inkluder_sporingsinfo) for u in p.medlemskapsunntak if wanted(u)]


def _ufore(r: lookups.UforeopplysningerGet, _: Caller) -> UforedataProdusentDTO | None:
    if (p := person(r.ident)) is None:
        return None
    perioder = [b for b in p.uforedata.beregningsperioder if _overlaps(b.fom, b.tom, r.fom_dato, r.tom_dato)]
    return p.uforedata.model_copy(update={"beregningsperioder": perioder})


def _in_period(periode: Periode, r: lookups.AapVedtak | lookups.AapMeldekort) -> bool:
    return _overlaps(periode.fraDato, periode.tilDato, r.fom_dato, r.tom_dato)


def _aap_vedtak(r: lookups.AapVedtak, _: Caller) -> VedtakResponse | None:
    if (p := person(r.ident)) is None:
        return None
    liste = [v for v in p.aap_vedtak if _in_period(v.virkningsperiode, r)]
    return VedtakResponse(uttrekksperiode=_uttrekk(r), vedtaksliste=liste)


def _aap_meldekort(r: lookups.AapMeldekort, _: Caller) -> MeldekortResponse | None:
    if (p := person(r.ident)) is None:
        return None
    liste = [m for m in p.aap_meldekort if _in_period(m.periode, r)]
    return MeldekortResponse(uttrekksperiode=_uttrekk(r), meldekortliste=liste)


def _uttrekk(r: lookups.AapVedtak | lookups.AapMeldekort) -> Periode:
    return Periode(fraDato=r.fom_dato, tilDato=r.tom_dato)


def _frikort(r: lookups.FrikortBrev, _: Caller) -> FrikortbrevListe | None:
    if (p := person(r.ident)) is None:
        return None
    return FrikortbrevListe(brev=[b for b in p.frikortbrev if r.ar is None or b.vedtaksdato.year == r.ar])


def _sar(r: lookups.SarEksport, _: Caller) -> SarEksportSide:
    changed = [s for s in SAMHANDLERE if r.endret_etter is None or s.endret > r.endret_etter]
    start = r.side * r.antall
    return SarEksportSide(
        side=r.side,
        antallSider=ceil(len(changed) / r.antall),
        samhandlere=changed[start : start + r.antall],
    )


def _member(ident: str, tpnr: str) -> Person | None:
    p = person(ident)
    return p if p is not None and tpnr in p.tp_ordninger else None


def _vedtaksinformasjon(r: lookups.PensjonVedtaksinformasjon, _: Caller) -> Vedtaksinformasjon | None:
    if (p := _member(r.ident, r.tpnr)) is None:
        return None
    v = p.vedtaksinformasjon
    return v.model_copy(
        update={
            name: [i for i in getattr(v, name) if i.virkTom is None or i.virkTom >= r.fom]
            for name in type(v).model_fields
        }
    )


def _simuler(r: lookups.PensjonSimulerAlderspensjon, caller: Caller) -> AlderspensjonResultV3 | None:
    s = r.simulering
    # NAV ties the person to the token's organisation's schemes; tp-nr is not read.
    if (p := person(s.fnr)) is None or not p.tp_ordninger & caller.tp_ordninger:
        return None
    if any(u.datoFom.day != 1 for u in (s.forsteUttak, s.heltUttak) if u is not None):
        raise Refusal("InvalidArgumentException", "uttak must start on the first day of a month")
    if s.heltUttak is not None and s.forsteUttak.grad == 100:
        raise Refusal("BadSpecException", "heltUttak must be absent when forsteUttak.grad is 100")
    uttak = [s.forsteUttak, *([s.heltUttak] if s.heltUttak else [])]
    # After the last uttak, the pension is regulated every 1 May (by 2 % in the sandbox).
    regulert = [Uttak(datoFom=date(uttak[-1].datoFom.year + k, 5, 1), grad=uttak[-1].grad) for k in (1, 2, 3)]
    perioder = [(u, p.arlig_alderspensjon * u.grad // 100) for u in uttak]
    perioder += [(u, int(perioder[-1][1] * 1.02**k)) for k, u in enumerate(regulert, 1)]
    # Only the first and the full uttak, whatever hentFullAPListe says: NAV's mapper ignores it.
    ap_liste = perioder[: len(uttak)]
    return AlderspensjonResultV3(
        pensjonsperioder=[
            Pensjonsperiode(arligUtbetaling=belop, datoFom=u.datoFom.isoformat()) for u, belop in perioder
        ],
        alderspensjonFraFolketrygden=[
            AlderspensjonFraFolketrygden(
                datoFom=u.datoFom.isoformat(),
                uttaksgrad=u.grad,
                delytelser=[
                    Delytelse(pensjonstype="GP", belop=belop // 24),
                    Delytelse(pensjonstype="TP", belop=belop // 12 - belop // 24),
                ],
            )
            for u, belop in ap_liste
        ],
        harUttak=False,
        harTidligereUttak=False,
        sisteGyldigeOpptjeningsAr=2024,
    )


_ANSWERS: dict[str, Callable[[Any, Caller], object | None]] = {
    "medlemskapsunntak.get": _unntak_get,
    "medlemskapsunntak.search": _unntak_search,
    "uforeopplysninger.get": _ufore,
    "aap.vedtak": _aap_vedtak,
    "aap.meldekort": _aap_meldekort,
    "frikort.brev": _frikort,
    "sareksport.samhandlere": _sar,
    "pensjon.vedtaksinformasjon": _vedtaksinformasjon,
    "pensjon.simuler_alderspensjon": _simuler,
}

# What NAV answers for a person it does not know, on the APIs that answer 200 for them.
_EMPTY: dict[str, Callable[[Any], object]] = {
    "medlemskapsunntak.search": lambda r: [],
    "uforeopplysninger.get": lambda r: UforedataProdusentDTO(status=Uforestatus.IKKE_SOKT),
    "aap.vedtak": lambda r: VedtakResponse(uttrekksperiode=_uttrekk(r)),
    "aap.meldekort": lambda r: MeldekortResponse(uttrekksperiode=_uttrekk(r)),
}

ANSWERED: frozenset[str] = frozenset(_ANSWERS)


def answer(op: Operation, request: lookups.LookupBase, caller: Caller) -> object | None:
    """The payload for `request`, or None when NAV would not know its subject; Refusal when
    NAV's rules refuse it."""
    return _ANSWERS[op.name](request, caller)


def empty_answer(op: Operation, request: lookups.LookupBase) -> object:
    """The result NAV gives for an unknown subject on an `unknown_subject="empty"` operation."""
    return _EMPTY[op.name](request)
