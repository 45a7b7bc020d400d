"""`nav-sandbox --people`: the synthetic people, what each API knows about them, and consents.

Rendered from `PEOPLE` and the operations table, so the listing cannot drift from the answers.
"""

from nav_lookup_contracts.operations import OPERATIONS
from nav_sandbox.consents import consent_of
from nav_sandbox.people import PEOPLE, SAMHANDLERE, UNKNOWN_IDENT, Person

SAMPLE_CONSENT_TOKEN = "c2FtdHlra2U="


def _knows(p: Person) -> list[tuple[str, str]]:
    unntak = ", ".join(str(u.unntakId) for u in p.medlemskapsunntak)
    perioder = len(p.uforedata.beregningsperioder or [])
    kapittel = "kap. 19" if p.vedtaksinformasjon.kap19InfoList else "kap. 20"
    return [
        ("medlemskapsunntak.search", f"{len(p.medlemskapsunntak)} unntak: unntak_id {unntak}"),
        ("uforeopplysninger.get", f"status {p.uforedata.status.value}, {perioder} beregningsperioder"),
        ("aap.vedtak", f"{len(p.aap_vedtak)} vedtak"),
        ("aap.meldekort", f"{len(p.aap_meldekort)} meldekort"),
        (
            "frikort.brev",
            f"{len(p.frikortbrev)} brev ({', '.join(str(b.vedtaksdato.year) for b in p.frikortbrev)})",
        ),
        (
            "pensjon.vedtaksinformasjon",
            f"tpnr {', '.join(sorted(p.tp_ordninger))}: alderspensjon, {kapittel}",
        ),
        ("pensjon.simuler_alderspensjon", f"tpnr as above: {p.arlig_alderspensjon} kr a year at 100 %"),
    ]


def people_listing() -> str:
    consent_ops = ", ".join(op.name for op in OPERATIONS if op.needs_consent)
    lines = [
        f"The sandbox's {len(PEOPLE)} synthetic people (idents that can never be a real person's).",
        f"Consents: {consent_ops} need the person's consent, of",
        "either kind; without one the answer is CONSENT_REQUIRED.",
        "  Altinn 3: consent_id, the person's own consent (under each person below; every consent,",
        "    expired and short ones too, at GET /_sandbox/consents); another person's is FORBIDDEN.",
        f"  Altinn 2: consent_token, any token for anyone (e.g. consent_token={SAMPLE_CONSENT_TOKEN}).",
        "",
    ]
    for p in PEOPLE:
        lines.append(f"{p.ident}  born {p.born.isoformat()}, {p.description}")
        lines.append(f"  {'consent_id':<30} {consent_of(p.ident).id}")
        lines += [f"  {name:<30} {what}" for name, what in _knows(p)]
        lines.append("")
    lines += [
        f"{UNKNOWN_IDENT}  a valid ident nobody has: NOT_FOUND, or the operation's empty result",
        f"sareksport.samhandlere: {len(SAMHANDLERE)} SAR records, paged",
        "medlemskapsunntak.get: any unntak_id above; another (e.g. 999999) is NOT_FOUND",
    ]
    return "\n".join(lines)
