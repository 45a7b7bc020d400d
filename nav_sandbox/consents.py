"""The synthetic people's Altinn 3 consents, and how a consent-bearing token describes one.

Each person has a consent to the DSOP resource (Uføreopplysninger and AAP) for 2010 to 2035,
and so has the person NAV does not know (`UNKNOWN_IDENT`); the first person also has one that has
expired and one for 2024 only, so a caller's test can pick each case from `GET /_sandbox/consents`.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from nav_lookup_contracts.operations import CONSENT_TYPE, DSOP_CONSENT_RESOURCE, PERSON_URN_PREFIX
from nav_sandbox.people import PEOPLE, UNKNOWN_IDENT

CLIENT_ORG = "0192:889640782"
"""The sandbox client's organisation (`to` of every consent)."""


@dataclass(frozen=True)
class Altinn3Consent:
    id: uuid.UUID
    person: str
    resource: str
    fraogmed: date
    tilogmed: date
    valid_to: datetime

    def expired(self, now: float) -> bool:
        return self.valid_to.timestamp() <= now

    def covers(self, fom: date | None, tom: date | None) -> bool:
        """The period asked for (a missing end: the consent's own) lies inside the consent's."""
        return self.fraogmed <= (fom or self.fraogmed) and (tom or self.tilogmed) <= self.tilogmed

    def authorization_details(self) -> list[dict[str, Any]]:
        """What Maskinporten's token carries for this consent (Altinn's documented shape)."""
        return [
            {
                "type": CONSENT_TYPE,
                "id": str(self.id),
                "from": PERSON_URN_PREFIX + self.person,
                "to": {"authority": "iso6523-actorid-upis", "ID": CLIENT_ORG},
                "consented": "2024-01-01T00:00:00Z",
                "validTo": self.valid_to.isoformat().replace("+00:00", "Z"),
                "consentRights": [
                    {
                        "action": ["consent"],
                        "resource": [{"type": "urn:altinn:resource", "value": self.resource}],
                        "metadata": {
                            "fraogmed": self.fraogmed.strftime("%d.%m.%Y"),
                            "tilogmed": self.tilogmed.strftime("%d.%m.%Y"),
                        },
                    }
                ],
            }
        ]

    def listed(self, now: float) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "person": self.person,
            "resource": self.resource,
            "fraogmed": self.fraogmed.isoformat(),
            "tilogmed": self.tilogmed.isoformat(),
            "validTo": self.valid_to.isoformat(),
            "expired": self.expired(now),
        }


def _consent(n: int, person: str, fraogmed: date, tilogmed: date, valid_to: datetime) -> Altinn3Consent:
    return Altinn3Consent(
        uuid.uuid5(uuid.NAMESPACE_URL, f"nav-sandbox/consent/{n}"),
        person,
        DSOP_CONSENT_RESOURCE,
        fraogmed,
        tilogmed,
        valid_to,
    )


_FOREVER = datetime(2099, 1, 1, tzinfo=UTC)
CONSENTS: tuple[Altinn3Consent, ...] = (
    *(_consent(i, p.ident, date(2010, 1, 1), date(2035, 12, 31), _FOREVER) for i, p in enumerate(PEOPLE)),
    _consent(100, PEOPLE[0].ident, date(2010, 1, 1), date(2035, 12, 31), datetime(2025, 1, 1, tzinfo=UTC)),
    _consent(101, PEOPLE[0].ident, date(2024, 1, 1), date(2024, 12, 31), _FOREVER),
    # Altinn knows the person NAV does not: NAV answers 200 with nothing, not 403.
    _consent(102, UNKNOWN_IDENT, date(2010, 1, 1), date(2035, 12, 31), _FOREVER),
)
EXPIRED_CONSENT = CONSENTS[len(PEOPLE)]
SHORT_CONSENT = CONSENTS[len(PEOPLE) + 1]
"""PEOPLE[0]'s consent for 2024 only."""

_BY_ID: Mapping[uuid.UUID, Altinn3Consent] = {c.id: c for c in CONSENTS}


def consent(consent_id: uuid.UUID) -> Altinn3Consent | None:
    return _BY_ID.get(consent_id)


def consent_of(person: str) -> Altinn3Consent:
    """The person's open-ended consent."""
    return next(c for c in CONSENTS if c.person == person and c.valid_to == _FOREVER)
