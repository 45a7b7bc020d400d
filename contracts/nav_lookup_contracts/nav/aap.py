"""Arbeid AAP (DSOP): inferred from NAV's re-implementation of the same Arena views."""

from datetime import date

from nav_lookup_contracts._wire import NavModel


class Periode(NavModel):
    fraDato: date | None = None
    tilDato: date | None = None


class Kodeverdi(NavModel):
    kode: str
    termnavn: str | None = None


class DsopVedtak(NavModel):
    vedtakId: int
    virkningsperiode: Periode
    vedtakstype: Kodeverdi | None = None
    vedtaksvariant: Kodeverdi | None = None
    vedtakstatus: Kodeverdi | None = None
    rettighetstype: Kodeverdi | None = None
    utfall: Kodeverdi | None = None
    aktivitetsfase: Kodeverdi | None = None


class VedtakResponse(NavModel):
    uttrekksperiode: Periode
    vedtaksliste: list[DsopVedtak] = []


class DsopMeldekort(NavModel):
    meldekortId: int
    periode: Periode
    antallTimerArbeidet: float


class MeldekortResponse(NavModel):
    uttrekksperiode: Periode
    meldekortliste: list[DsopMeldekort] = []
