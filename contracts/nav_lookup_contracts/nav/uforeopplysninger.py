"""Helse Uføreopplysninger: `UforedataProdusentDTO` from NAV's pensjon-ekstern-api spec."""

from datetime import date
from enum import StrEnum

from nav_lookup_contracts._wire import NavModel


class Uforestatus(StrEnum):
    IKKE_SOKT = "IKKE_SOKT"
    AVSLAG = "AVSLAG"
    KLAGE_PA_AVSLAG = "KLAGE_PA_AVSLAG"
    REKONSTRUKSJON = "REKONSTRUKSJON"
    LOPENDE = "LOPENDE"
    OPPHORT = "OPPHORT"
    UNDER_BEHANDLING = "UNDER_BEHANDLING"
    UKJENT_STATUS = "UKJENT_STATUS"
    EKSPORT = "EKSPORT"


class BeregningsperiodeProdusentDTO(NavModel):
    fom: date | None = None
    tom: date | None = None
    uforegrad: int | None = None
    uforetidspunkt: date | None = None
    ifu: int | None = None
    inntektBruktIAvkortingen: int | None = None
    ferdiglignetInntekt: bool | None = None
    klagebehandles: bool | None = None


class UforedataProdusentDTO(NavModel):
    status: Uforestatus
    forsteVirkningstidspunkt: date | None = None
    beregningsperioder: list[BeregningsperiodeProdusentDTO] = []
