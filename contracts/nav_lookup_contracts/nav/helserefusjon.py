"""Helserefusjon Frikort-brev and SAR eksport.

NAV publishes no contract for these; the shapes below are this project's best model of
"fetch a person's frikort decision letters" and "export a page of samhandler (SAR) records".
Unknown fields are ignored, so the real contract can replace these without breaking callers.
"""

from datetime import date, datetime

from nav_lookup_contracts._wire import NavModel


class Frikortbrev(NavModel):
    brevId: str
    frikorttype: str
    vedtaksdato: date
    gyldigFra: date | None = None
    gyldigTil: date | None = None
    egenandelstak: int | None = None
    dokumentUrl: str | None = None


class FrikortbrevListe(NavModel):
    brev: list[Frikortbrev] = []


class Samhandler(NavModel):
    samhandlerId: str
    navn: str
    samhandlertype: str
    orgnr: str | None = None
    hprnr: str | None = None
    endret: datetime


class SarEksportSide(NavModel):
    side: int
    antallSider: int
    samhandlere: list[Samhandler] = []
