"""The lookups' composition root: opens NAV and Kafka once from settings and runs the lookups.

Follow a request from here: `build_lookups` subscribes to every caller's request topic,
`LookupScheduler` schedules each record, `LookupService.handle` validates, authorises and calls
`NavClient`, and `Producer` writes the reply before the offset is committed.
"""

import asyncio
import logging

from prometheus_client import CollectorRegistry

from adapter.asyncapi import asyncapi_document
from adapter.heap import freeze_startup_objects
from adapter.kafka.producer import Producer, open_producer
from adapter.lookup.metrics import LookupMetrics
from adapter.lookup.wiring import build_lookups
from adapter.nav.factory import open_nav
from adapter.nav.tokens import TokenCache
from adapter.observability.health import ReadinessChecks, create_health_app, serve_health
from adapter.settings import KafkaSettings, LookupSettings, NavSettings
from contracts.operations import APIS
from contracts.schema import all_schemas

log = logging.getLogger(__name__)


async def _warm_tokens(tokens: TokenCache, scopes: list[str]) -> None:
    """Fetch a token for every scope a caller may use, so readiness means "can call NAV"."""
    results = await asyncio.gather(*(tokens.get(scope) for scope in scopes), return_exceptions=True)
    for scope, result in zip(scopes, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("no token yet for %s (%s); lookups will retry", scope, type(result).__name__)


async def run_lookups(
    kafka: KafkaSettings, nav_settings: NavSettings, settings: LookupSettings, stop: asyncio.Event
) -> None:
    """Consume lookups until `stop` is set, then finish what is in flight and commit it."""
    if not settings.callers:
        raise ValueError("ADAPTER_CALLERS is empty: no request topic to consume")
    registry = CollectorRegistry()
    metrics = LookupMetrics(registry)
    async with (
        open_nav(nav_settings, APIS, registry) as nav,
        open_producer(
            kafka,
            close_within=10.0,  # past the drain, what is left was given up on (dead-lettered)
            linger_ms=2,
            max_batch_size=settings.kafka_producer_batch_bytes,
        ) as kafka_producer,
    ):
        lookups = build_lookups(
            kafka,
            settings,
            nav=nav.client,
            producer=Producer(kafka_producer, give_up_after=settings.publish_timeout_seconds),
            metrics=metrics,
        )
        metrics.watch(in_flight=lookups.in_flight, lag=lookups.lag)
        connected = asyncio.Event()
        checks = ReadinessChecks(
            broker_connected=connected.is_set,
            token_fetched=lambda: sum(nav.tokens.fetches.values()) > 0,
            some_api_available=lambda: any(b.state != "open" for b in nav.client.breakers.values()),
        )
        documents = {
            "/asyncapi.json": lambda: asyncapi_document(kafka, settings),
            "/schemas.json": all_schemas,
        }
        health = create_health_app(checks, registry, documents)
        async with serve_health(health, settings.http_host, settings.http_port):
            freeze_startup_objects()
            refresher = asyncio.create_task(nav.tokens.run_refresher(stop))
            warm = asyncio.create_task(_warm_tokens(nav.tokens, settings.scopes()))
            log.info("lookups running: %d request topics", len(settings.callers))
            try:
                await lookups.run(stop, connected)
            finally:
                refresher.cancel()
                warm.cancel()
                await asyncio.gather(refresher, warm, return_exceptions=True)
                log.info("lookups stopped: in-flight work finished and committed")
