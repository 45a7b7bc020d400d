"""The lookups' composition root: opens NAV and Kafka once from settings and runs the lookups.

Follow a request from here: `build_lookups` subscribes to every caller's request topic,
`LookupScheduler` schedules each record, `LookupService.handle` validates, authorises and calls
`NavClient`, and `Producer` writes the reply before the offset is committed.
"""

import asyncio
import logging
import random

from prometheus_client import CollectorRegistry

from adapter.asyncapi import asyncapi_document
from adapter.backoff import full_jitter
from adapter.heap import freeze_startup_objects
from adapter.kafka.probe import BrokerProbe
from adapter.kafka.producer import Producer, open_producer
from adapter.lookup.metrics import LookupMetrics
from adapter.lookup.wiring import build_lookups
from adapter.nav.factory import open_nav
from adapter.nav.tokens import TokenCache, TokenEndpointError
from adapter.observability.health import (
    Heartbeat,
    ReadinessChecks,
    beating,
    create_health_app,
    serve_health,
)
from adapter.settings import KafkaSettings, LookupSettings, NavSettings
from nav_lookup_contracts.operations import APIS
from nav_lookup_contracts.schema import all_schemas

log = logging.getLogger(__name__)


WARM_ATTEMPTS = 4


async def _warm_tokens(tokens: TokenCache, scopes: list[str]) -> None:
    """Fetch a token for every scope a caller may use, so readiness means "can call NAV".

    A failure Maskinporten may not repeat (no answer, 5xx, 429) is tried again a few times before
    it is logged: a warning at start means a token cannot be had, not that one request failed.
    """
    pending = list(scopes)
    for attempt in range(1, WARM_ATTEMPTS + 1):
        results = await asyncio.gather(*(tokens.get(scope) for scope in pending), return_exceptions=True)
        again = []
        for scope, result in zip(pending, results, strict=True):
            if not isinstance(result, BaseException):
                continue
            if isinstance(result, TokenEndpointError) and result.retryable and attempt < WARM_ATTEMPTS:
                again.append(scope)
                continue
            # The error's message is Maskinporten's answer, never the grant or a token.
            log.warning(
                "no token yet for %s (%s: %s); lookups will retry", scope, type(result).__name__, result
            )
        if not again:
            return
        pending = again
        await asyncio.sleep(full_jitter(attempt, base=0.25, cap=4.0, rng=random.random))


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
        probe = BrokerProbe(kafka, interval=settings.broker_check_seconds)
        checks = ReadinessChecks(
            broker_connected=lambda: connected.is_set() and probe.connected,
            token_fetched=lambda: sum(nav.tokens.obtained.values()) > 0,  # fetched, not only asked for
            some_api_available=lambda: any(b.state != "open" for b in nav.client.breakers.values()),
        )
        documents = {
            "/asyncapi.json": lambda: asyncapi_document(kafka, settings),
            "/schemas.json": all_schemas,
        }
        heartbeat = Heartbeat(timeout=settings.liveness_timeout_seconds)
        health = create_health_app(
            checks, registry, documents, heartbeat=heartbeat, main_loop=asyncio.get_running_loop()
        )
        async with beating(heartbeat), serve_health(health, settings.http_host, settings.http_port):
            freeze_startup_objects()
            refresher = asyncio.create_task(nav.tokens.run_refresher(stop))
            warm = asyncio.create_task(_warm_tokens(nav.tokens, settings.token_scopes(nav_settings)))
            probing = asyncio.create_task(probe.run(stop))
            log.info("lookups running: %d request topics", len(settings.callers))
            try:
                await lookups.run(stop, connected)
            finally:
                refresher.cancel()
                warm.cancel()
                probing.cancel()
                await asyncio.gather(refresher, warm, probing, return_exceptions=True)
                log.info("lookups stopped")  # what was not committed is said above, and redelivered
