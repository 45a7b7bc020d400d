"""The sandbox's configuration: plain values, read once by the CLI (or a test) and passed in."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from nav_lookup_contracts.feeds import FEED_APIS, FEEDS
from nav_lookup_contracts.operations import APIS, OPERATIONS

MAX_GRANT_LIFETIME_SECONDS = 120
"""Maskinporten's rule: a grant's `exp - iat` may not exceed this."""


def _subscription_key_apis() -> frozenset[str]:
    return frozenset(api.key for api in (*APIS, *FEED_APIS) if api.subscription_key)


def _all_scopes() -> frozenset[str]:
    return frozenset(scope for op in OPERATIONS for scope in op.scopes) | {feed.scope for feed in FEEDS}


def _mount_prefixes() -> Mapping[str, str]:
    return MappingProxyType({api.key: f"/{api.key}" for api in (*APIS, *FEED_APIS)})


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox plays NAV and Maskinporten.

    `issuer` is the `aud` a grant must carry; None means the sandbox's own base URL as the client
    reached it ("http://HOST:PORT/"), which is also where its token endpoint lives.
    """

    client_id: str = "nav-adapter-dev"
    jwks_path: Path | None = None
    issuer: str | None = None
    subscription_key: str = "sandbox-subscription-key"
    subscription_key_apis: frozenset[str] = field(default_factory=_subscription_key_apis)
    token_lifetime_seconds: int = 120
    allowed_scopes: frozenset[str] = field(default_factory=_all_scopes)
    mount_prefixes: Mapping[str, str] = field(default_factory=_mount_prefixes)
    max_hang_seconds: float = 60.0
    """A `timeout` fault holds the request at most this long, then answers 504."""
    recorded_requests: int = 1000
    """How many requests `GET /_sandbox/requests` keeps (the oldest are dropped)."""
    fault_seed: int | None = None
    """Seed for the `error_rate` dice; None for a fresh one."""
    feed_events: int = 20
    """Events each feed's log (each tpnr's, for samordning) holds when first asked for."""
    client_tp_ordninger: frozenset[str] = frozenset({"3010"})
    """The TP schemes the client's organisation serves: the simulation answers 403 for a person
    tied to none of them, as NAV does (NAV reads the scheme from the token, not from tp-nr)."""
    gateway_requests_per_minute: float | None = None
    """pensjon-gw's limit per endpoint (NAV's is 100), answered with 503; None: no limit, so tests
    that do not look at it are not slowed. `POST /_sandbox/gateway-limit` changes it at run time."""
    samordning_between_pages: bool = True
    """Samordning's numbered feeds answer `start..start + antall` inclusive, shuffled, as NAV's code
    does; False for the documented `antall` items in order."""

    def mount_prefix(self, api_key: str) -> str:
        return self.mount_prefixes.get(api_key, f"/{api_key}").rstrip("/")
