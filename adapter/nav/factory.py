"""`open_nav`: the NAV connection of a process (pooled transport, token cache, client), built once
from `NavSettings` for the lookups and the bridge alike, and closed on exit."""

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import httpx
from prometheus_client import CollectorRegistry

from adapter.nav.aiohttp_exchange import open_aiohttp_exchange
from adapter.nav.client import ApiEndpoint, NavClient, RetryPolicy
from adapter.nav.consent_tokens import ConsentTokenCache
from adapter.nav.exchange import HttpxExchange, NavHttp
from adapter.nav.metrics import NavMetrics
from adapter.nav.sender import NavSender
from adapter.nav.tokens import MaskinportenClient, MaskinportenConfig, TokenCache
from adapter.nav.transport import make_transport
from adapter.settings import NavSettings
from nav_lookup_contracts.operations import OPERATIONS, Api


@dataclass(frozen=True)
class Nav:
    client: NavClient
    tokens: TokenCache
    consent_tokens: ConsentTokenCache


def maskinporten_config(settings: NavSettings) -> MaskinportenConfig:
    return MaskinportenConfig(
        token_url=settings.maskinporten_token_url,
        audience=settings.maskinporten_issuer,
        client_id=settings.maskinporten_client_id,
        key_id=settings.key_id(),
        private_key_pem=settings.private_key_pem(),
    )


@contextlib.asynccontextmanager
async def open_nav(
    settings: NavSettings,
    apis: Iterable[Api],
    registry: CollectorRegistry,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Nav]:
    """A client for `apis`, its calls and circuits counted in `registry`; over `transport`, or
    the pooled exchanges the settings describe: NAV's over aiohttp directly unless the settings
    say httpx, Maskinporten's over an httpx transport."""
    given = transport
    transport = transport or make_transport(settings)
    timeout = httpx.Timeout(settings.nav_timeout_seconds, connect=settings.nav_connect_timeout_seconds)
    # Maskinporten's token endpoint is called a few times an hour: httpx's client is fine there.
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=timeout, transport=transport))
        nav_http: NavHttp
        if given is None and settings.http_transport == "aiohttp":
            aiohttp_exchange = open_aiohttp_exchange(settings)
            stack.push_async_callback(aiohttp_exchange.aclose)
            nav_http = aiohttp_exchange
        else:
            nav_http = HttpxExchange(transport, connect_timeout=settings.nav_connect_timeout_seconds)
        config = maskinporten_config(settings)
        maskinporten = MaskinportenClient(http=http, config=config)
        tokens = TokenCache(fetcher=maskinporten, margin_seconds=config.refresh_margin_seconds)
        consent_tokens = ConsentTokenCache(
            fetcher=maskinporten,
            margin_seconds=config.refresh_margin_seconds,
            max_tokens=settings.nav_consent_tokens_max,
        )
        sender = NavSender(http=nav_http, tokens=tokens, consent_tokens=consent_tokens)
        endpoints = {
            api.key: ApiEndpoint(
                settings.base_url(api.key),
                settings.subscription_key_for(api.key),
                {op.name: settings.scope_for(op) for op in OPERATIONS if op.api.key == api.key},
            )
            for api in apis
        }
        metrics = NavMetrics(registry)
        client = NavClient(
            sender=sender,
            endpoints=endpoints,
            consumer_id=settings.consumer_id,
            retry=RetryPolicy(attempts=settings.nav_retry_attempts),
            request_timeout=settings.nav_timeout_seconds,
            breaker_threshold=settings.nav_breaker_threshold,
            breaker_cooldown=settings.nav_breaker_cooldown_seconds,
            observe=metrics.nav_call,
        )
        metrics.watch(client.breakers, tokens)
        yield Nav(client, tokens, consent_tokens)
