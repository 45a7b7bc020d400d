"""A NAV sandbox: Maskinporten's token endpoint and every API in `nav_lookup_contracts.OPERATIONS`.

Run it with `python -m nav_sandbox` (or `nav-sandbox`), or use `create_app` in-process with
`httpx.ASGITransport`. It may import `contracts`, never `adapter`.
"""

from nav_sandbox.app import create_app
from nav_sandbox.consents import CONSENTS, EXPIRED_CONSENT, SHORT_CONSENT, Altinn3Consent, consent_of
from nav_sandbox.faults import FaultSpec
from nav_sandbox.idents import synthetic_ident
from nav_sandbox.maskinporten import GRANT_TYPE
from nav_sandbox.people import PEOPLE, SAMHANDLERE, UNKNOWN_IDENT, Person
from nav_sandbox.settings import SandboxConfig

__all__ = [
    "CONSENTS",
    "EXPIRED_CONSENT",
    "GRANT_TYPE",
    "PEOPLE",
    "SAMHANDLERE",
    "SHORT_CONSENT",
    "UNKNOWN_IDENT",
    "Altinn3Consent",
    "FaultSpec",
    "Person",
    "SandboxConfig",
    "consent_of",
    "create_app",
    "synthetic_ident",
]
