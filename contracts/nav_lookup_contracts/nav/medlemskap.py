"""Helse Medlemskapsunntak (MEDL): the portal's JSON Schema, field for field."""

from datetime import date, datetime

from pydantic import ConfigDict, Field

from nav_lookup_contracts._wire import NavModel


class Sporingsinformasjon(NavModel):
    """Metadata knyttet til medlemskapsunntaket."""

    model_config = ConfigDict(title="Sporingsinformasjon")

    besluttet: date | None = Field(
        None,
        description="Når det ble tatt en beslutning om dette medlemskapsunntaket, på ISO-8601-format.",
    )
    kilde: str = Field(description="Hvilket system medlemskapsunntaket kommer fra.")
    kildedokument: str | None = Field(
        None, description="I hvilken form søknaden om medlemskapsunntak kom til kilden."
    )
    opprettet: datetime = Field(description="Når medlemskapsunntaket ble opprettet, på ISO-8601-format.")
    opprettetAv: str = Field(description="Hvem eller hva som opprettet medlemskapsunntaket.")
    registrert: date | None = Field(
        None, description="Når dette medlemskapsunntaket ble registrert, på ISO-8601-format."
    )
    sistEndret: datetime = Field(description="Når medlemskapsunntaket sist ble endret, på ISO-8601-format.")
    sistEndretAv: str = Field(description="Hvem eller hva som sist endret medlemskapsunntaket.")
    versjon: int = Field(
        description="Versjonsnummeret på dette medlemskapsunntaket. Dette sier noe om hvor mange "
        "ganger unntaket har blitt endret.",
        json_schema_extra={"format": "int32"},
    )


class Studieinformasjon(NavModel):
    """Studieinformasjonen som er registrert på et medlemskapsunntak."""

    model_config = ConfigDict(title="Studieinformasjon")

    delstudie: bool = Field(description="Hvorvidt studenten er deltidsstudent.")
    soeknadInnvilget: bool = Field(description="Om søknaden om studielån er blitt innvilget av Lånekassen.")
    statsborgerland: str = Field(description="Hvilket land studenten er statsborger i.")
    studieland: str | None = Field(None, description="Hvilket land studenten studerer i.")


class Medlemskapsunntak(NavModel):
    """Informasjonen som er tilgjengelig om et medlemskapsunntak."""

    model_config = ConfigDict(title="Medlemskapsunntak")

    dekning: str | None = Field(None, description="Dekningsgraden for dette medlemskapsunntaket.")
    fraOgMed: date = Field(
        description="Startdatoen for perioden til medlemskapsunntaket, på ISO-8601 format."
    )
    grunnlag: str = Field(description="Grunnlaget for dette medlemskapsunntaket.")
    helsedel: bool = Field(description="Hvorvidt dekningen for medlemskapsunntaket har en helsedel.")
    ident: str = Field(description="Den naturlige identen som medlemskapsunntaket er lagret på.")
    lovvalg: str = Field(description="Lovvalget for dette medlemskapsunntaket.")
    lovvalgsland: str | None = Field(None, description="Landet dette medlemskapsunntaket gjelder for.")
    medlem: bool = Field(
        description="Beskriver hvorvidt dette medlemskapsunntaket handler om et medlemskap i "
        "folketrygden eller ikke."
    )
    sporingsinformasjon: Sporingsinformasjon | None = Field(
        None, description="Metadata knyttet til medlemskapsunntaket."
    )
    # NAV's schema describes `status` with the text of `tilOgMed`; kept verbatim.
    status: str = Field(description="Sluttdatoen for perioden til medlemskapsunntaket.")
    statusaarsak: str | None = Field(
        None,
        description="Dersom statusen på medlemskapsunntaket ikke er gyldig vil dette feltet "
        "beskrive hvorfor.",
    )
    studieinformasjon: Studieinformasjon | None = Field(
        None, description="Studieinformasjonen som er registrert på et medlemskapsunntak."
    )
    tilOgMed: date = Field(
        description="Sluttdatoen for perioden til medlemskapsunntaket, på ISO-8601 format.."
    )
    unntakId: int = Field(
        description="Den funksjonelle ID'en til et medlemskapsunntak.",
        json_schema_extra={"format": "int64"},
    )
