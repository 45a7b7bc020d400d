"""The composition root: builds every resource once from `Settings` and runs the lookups.

Follow a request from here: `run_lookups` subscribes to every caller's request topic,
`LookupConsumer` schedules each record, `LookupService.handle` validates, authorises and calls
`NavClient`, and `Producer` writes the reply before the offset is committed.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from prometheus_client import CollectorRegistry

from adapter.asyncapi import asyncapi_document
from adapter.heap import freeze_startup_objects
from adapter.kafka.producer import Producer
from adapter.lookup.consumer import LookupConsumer
from adapter.lookup.service import LookupPolicy, LookupService, seconds_until_due
from adapter.lookup.subscriber import declare_lookups
from adapter.nav.client import ApiEndpoint, NavClient, RetryPolicy
from adapter.nav.sender import NavSender
from adapter.nav.tokens import MaskinportenClient, MaskinportenConfig, TokenCache
from adapter.observability.health import ReadinessChecks, create_health_app
from adapter.observability.metrics import LookupMetrics, StateCollector
from adapter.settings import Settings
from contracts.operations import APIS
from contracts.schema import all_schemas

log = logging.getLogger(__name__)


def make_transport(settings: Settings) -> httpx.AsyncBaseTransport:
    """The pooled HTTP transport every call to NAV and Maskinporten goes through."""
    limits = httpx.Limits(
        max_connections=settings.nav_max_connections,
        max_keepalive_connections=settings.nav_max_connections,
    )
    if settings.http_transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return AiohttpTransport(limits=limits)
    return httpx.AsyncHTTPTransport(limits=limits)


def make_policy(settings: Settings) -> LookupPolicy:
    topics = settings.request_topics()
    return LookupPolicy(
        scopes_by_request_topic={t: settings.callers[c] for t, c in topics.items()},
        caller_by_request_topic=topics,
        reply_topic=settings.reply_topic,
        dead_letter_topic=settings.dead_letter_topic,
        audit_topic=settings.audit_topic,
        allow_synthetic_idents=settings.allow_synthetic_idents,
        key_secret=settings.key_secret(),
        dedupe_window_seconds=settings.dedupe_window_seconds,
        quotas_per_second=settings.caller_quotas,
        retry_topics=settings.retry_topics(),
    )


@contextlib.asynccontextmanager
async def nav_sender(settings: Settings) -> AsyncIterator[tuple[NavSender, TokenCache]]:
    """The sender of NAV requests and its token cache, over one pooled transport; closed on exit."""
    transport = make_transport(settings)
    timeout = httpx.Timeout(settings.nav_timeout_seconds, connect=settings.nav_connect_timeout_seconds)
    # Maskinporten's token endpoint is called a few times an hour: httpx's client is fine there.
    async with httpx.AsyncClient(timeout=timeout, transport=transport) as http:
        config = MaskinportenConfig(
            token_url=settings.maskinporten_token_url,
            audience=settings.maskinporten_issuer,
            client_id=settings.maskinporten_client_id,
            key_id=settings.maskinporten_key_id,
            private_key_pem=settings.private_key_pem(),
        )
        maskinporten = MaskinportenClient(http=http, config=config)
        tokens = TokenCache(fetcher=maskinporten, margin_seconds=config.refresh_margin_seconds)
        sender = NavSender(
            transport=transport, tokens=tokens, connect_timeout=settings.nav_connect_timeout_seconds
        )
        yield sender, tokens


def make_nav_client(settings: Settings, sender: NavSender, metrics: LookupMetrics | None = None) -> NavClient:
    key = settings.subscription_key()
    endpoints = {
        api.key: ApiEndpoint(
            base_url=settings.base_url(api.key),
            subscription_key=key if settings.sends_subscription_key(api.key) else None,
        )
        for api in APIS
    }
    return NavClient(
        sender=sender,
        endpoints=endpoints,
        consumer_id=settings.consumer_id,
        retry=RetryPolicy(attempts=settings.nav_retry_attempts),
        request_timeout=settings.nav_timeout_seconds,
        breaker_threshold=settings.nav_breaker_threshold,
        breaker_cooldown=settings.nav_breaker_cooldown_seconds,
        observe=metrics.nav_call if metrics is not None else None,
    )


async def _warm_tokens(tokens: TokenCache, settings: Settings) -> None:
    """Fetch a token for every scope a caller may use, so readiness means "can call NAV"."""
    scopes = sorted({scope for allowed in settings.callers.values() for scope in allowed})
    results = await asyncio.gather(*(tokens.get(scope) for scope in scopes), return_exceptions=True)
    for scope, result in zip(scopes, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("no token yet for %s (%s); lookups will retry", scope, type(result).__name__)


async def run_lookups(settings: Settings, stop: asyncio.Event) -> None:
    """Consume lookups until `stop` is set, then finish what is in flight and commit it."""
    if not settings.callers:
        raise ValueError("ADAPTER_CALLERS is empty: no request topic to consume")
    kafka_producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        linger_ms=2,
        max_batch_size=settings.kafka_producer_batch_bytes,
    )
    registry = CollectorRegistry()
    metrics = LookupMetrics(registry)
    async with nav_sender(settings) as (sender, tokens):
        nav = make_nav_client(settings, sender, metrics)
        await kafka_producer.start()
        try:
            service = LookupService(nav=nav, policy=make_policy(settings), metrics=metrics)
            producer = Producer(kafka_producer)
            consumer = LookupConsumer(
                service=service, producer=producer, max_in_flight=settings.max_in_flight
            )
            consumers = [consumer]
            broker = KafkaBroker(
                settings.kafka_bootstrap_servers, logger=None, middlewares=[KafkaTelemetryMiddleware()]
            )
            declare_lookups(
                broker,
                settings,
                consumer,
                list(settings.request_topics()),
                "lookup-requests",
                settings.consumer_group,
            )
            if settings.retry_delays_seconds:
                retries = LookupConsumer(
                    service=service,
                    producer=producer,
                    max_in_flight=settings.max_in_flight,
                    hold=seconds_until_due,
                )
                consumers.append(retries)
                topics = [topic for topic, _ in settings.retry_topics()]
                # A group of its own: two subscriptions in one group would rebalance each other.
                declare_lookups(
                    broker, settings, retries, topics, "lookup-retries", f"{settings.consumer_group}.retries"
                )
            registry.register(
                StateCollector(
                    in_flight=lambda: sum(c.in_flight for c in consumers),
                    consumers=lambda: consumers,
                    breakers=nav.breakers,
                    tokens=tokens,
                )
            )
            connected = asyncio.Event()
            checks = ReadinessChecks(
                broker_connected=connected.is_set,
                token_fetched=lambda: sum(tokens.fetches.values()) > 0,
                some_api_available=lambda: any(b.state != "open" for b in nav.breakers.values()),
            )
            health = uvicorn.Server(
                uvicorn.Config(
                    create_health_app(
                        checks,
                        registry,
                        {
                            "/asyncapi.json": lambda: asyncapi_document(settings),
                            "/schemas.json": all_schemas,
                        },
                    ),
                    host=settings.http_host,
                    port=settings.http_port,
                    log_level="warning",
                    access_log=False,
                )
            )
            health_task = asyncio.create_task(health.serve())
            freeze_startup_objects()
            await broker.start()
            connected.set()
            committers = [asyncio.create_task(c.run_committer()) for c in consumers]
            refresher = asyncio.create_task(tokens.run_refresher(stop))
            warm = asyncio.create_task(_warm_tokens(tokens, settings))
            log.info("lookups running: %d request topics", len(settings.callers))
            try:
                await stop.wait()
            finally:
                connected.clear()
                for task in committers:
                    task.cancel()
                await asyncio.gather(*(c.close() for c in consumers))
                await broker.stop()
                refresher.cancel()
                warm.cancel()
                health.should_exit = True
                await asyncio.gather(*committers, refresher, warm, health_task, return_exceptions=True)
                log.info("lookups stopped: in-flight work finished and committed")
        finally:
            await kafka_producer.stop()
