"""The composition root: one sandbox app, with all its state created here and passed in."""

import random
import time
from collections.abc import Callable

from starlette.applications import Starlette

from nav_lookup_contracts.operations import APIS, OPERATIONS
from nav_sandbox.api import NavApi
from nav_sandbox.control import ControlPlane
from nav_sandbox.faults import Faults
from nav_sandbox.feeds import FAULT_TARGETS, SandboxFeeds
from nav_sandbox.gateway_limit import GatewayLimit
from nav_sandbox.maskinporten import Maskinporten, TokenStore, load_jwks
from nav_sandbox.recorder import Recorder
from nav_sandbox.settings import SandboxConfig


def create_app(config: SandboxConfig, *, clock: Callable[[], float] = time.time) -> Starlette:
    """A NAV sandbox: Maskinporten's token endpoint, every API in OPERATIONS and feed in FEEDS,
    and `/_sandbox/`.

    `clock` (epoch seconds) judges grants and token expiry; tests may pass a fake one.
    """
    tokens = TokenStore(clock)
    faults = Faults(
        targets=[api.key for api in APIS] + [op.name for op in OPERATIONS] + list(FAULT_TARGETS),
        max_hang_seconds=config.max_hang_seconds,
        rng=random.Random(config.fault_seed),
    )
    recorder = Recorder(config.recorded_requests)
    maskinporten = Maskinporten(config, load_jwks(config.jwks_path), tokens, faults, recorder)
    limit = GatewayLimit(per_minute=config.gateway_requests_per_minute, clock=time.monotonic)
    return Starlette(
        routes=[
            *maskinporten.routes(),
            *ControlPlane(tokens, faults, recorder).routes(),
            *NavApi(config, tokens, faults, recorder).routes(),
            *limit.routes(),
            *SandboxFeeds(config, tokens, faults, recorder, limit=limit).routes(),
        ]
    )
