"""The bridge's composition root: every resource built once from settings, one lease per feed.

Follow a feed from here: `Lease.hold` joins the feed's lease group; while it holds partition 0
it runs `FeedBridge.run`, which reads pages through `FeedSource`, checks them
(`continuity.check_page`), publishes them (`PagePublisher.queue`) and checkpoints (`CheckpointStore`).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import CollectorRegistry

from adapter.bridge.checkpoints import CheckpointStore
from adapter.bridge.feed import ConfiguredFeed
from adapter.bridge.feed_bridge import FeedBridge
from adapter.bridge.lease import Lease
from adapter.bridge.metrics import BridgeMetrics
from adapter.bridge.pacing import Pacing
from adapter.bridge.publishing import PagePublisher
from adapter.bridge.source import FeedSource
from adapter.heap import freeze_startup_objects
from adapter.kafka.probe import BrokerProbe
from adapter.kafka.producer import Producer, open_producer
from adapter.kafka.topics import ensure_topics
from adapter.nav.client import NavClient
from adapter.nav.factory import open_nav
from adapter.observability.health import (
    Heartbeat,
    ReadinessChecks,
    beating,
    create_health_app,
    serve_health,
)
from adapter.settings import BridgeSettings, KafkaSettings, NavSettings
from adapter.token_bucket import TokenBucket
from nav_lookup_contracts.feeds import FEED_APIS

log = logging.getLogger(__name__)

RATE_LIMIT_BURST = 5.0
"""Kept small: a gateway's own bucket may be stricter than "N a minute" suggests."""


async def ensure_bridge_topics(
    kafka: KafkaSettings, bridge: BridgeSettings, feeds: list[ConfiguredFeed]
) -> None:
    await ensure_topics(kafka, [f.topic for f in feeds], partitions=bridge.topic_partitions)
    await ensure_topics(kafka, [bridge.checkpoint_topic], compacted=frozenset({bridge.checkpoint_topic}))
    await ensure_topics(kafka, [bridge.lease_topic(f.id) for f in feeds], partitions=1)


def _pacing(bridge: BridgeSettings) -> Pacing:
    return Pacing(
        idle_seconds=bridge.idle_seconds,
        max_idle_seconds=bridge.max_idle_seconds,
        retry_base_seconds=bridge.retry_base_seconds,
        retry_max_seconds=bridge.retry_max_seconds,
    )


def _active_gauge(metrics: BridgeMetrics, feed_id: str) -> Callable[[bool], None]:
    gauge = metrics.active.labels(feed_id)
    return lambda held: gauge.set(int(held))


def bounded_flush(producer: Producer, seconds: float) -> Callable[[], Awaitable[None]]:
    """A lease's release: what was queued is sent, for at most the drain timeout."""

    async def flush() -> None:
        try:
            async with asyncio.timeout(seconds):
                await producer.flush()
        except TimeoutError:
            # Safe to let go: the next holder resumes from what the topic and checkpoint hold.
            log.warning("records not flushed within the drain timeout (%.0fs)", seconds)

    return flush


def rate_limiters(bridge: BridgeSettings, feeds: Sequence[ConfiguredFeed]) -> dict[str, TokenBucket]:
    """Each feed's bucket, by feed id: one per endpoint (API and path), shared by every tpnr, as
    pensjon-gw counts each endpoint (vedtak, ytelser, personer, ...) on its own."""
    buckets: dict[tuple[str, str], TokenBucket] = {}
    out = {}
    for feed in feeds:
        if limit := bridge.rate_limit(feed.feed.api.key):
            endpoint = (feed.feed.api.key, feed.path)
            if endpoint not in buckets:
                buckets[endpoint] = TokenBucket(rate=limit / 60.0, burst=RATE_LIMIT_BURST)
            out[feed.id] = buckets[endpoint]
    return out


def build_bridge(
    kafka: KafkaSettings,
    bridge: BridgeSettings,
    feeds: Sequence[ConfiguredFeed],
    *,
    nav: NavClient,
    producer: Producer,
    publisher: PagePublisher,
    checkpoints: CheckpointStore,
    metrics: BridgeMetrics,
) -> Sequence[Lease]:
    """One lease per configured feed, each running its feed's bridge while held; no I/O."""
    limiters = rate_limiters(bridge, feeds)
    key_secret = bridge.key_secret()
    leases = []
    for feed in feeds:
        runner = FeedBridge(
            feed=feed,
            source=FeedSource(feed=feed, nav=nav, limiter=limiters.get(feed.id)),
            publisher=publisher,
            checkpoints=checkpoints,
            kafka=kafka,
            policy=bridge.continuity_policy,
            pacing=_pacing(bridge),
            metrics=metrics,
            key_secret=key_secret,
        )
        leases.append(
            Lease(
                kafka=kafka,
                topic=bridge.lease_topic(feed.id),
                group_id=bridge.lease_group(feed.id),
                session_timeout_ms=bridge.lease_session_timeout_ms,
                name=feed.id,
                work=runner.run,
                release=bounded_flush(producer, bridge.drain_timeout_seconds),
                on_change=_active_gauge(metrics, feed.id),
            )
        )
    return leases


async def run_bridge(
    kafka: KafkaSettings, nav_settings: NavSettings, bridge: BridgeSettings, stop: asyncio.Event
) -> None:
    """Bridge every configured feed until `stop` is set; then hand the leases on at once."""
    feeds = bridge.configured_feeds()
    if not feeds:
        raise ValueError("BRIDGE_FEEDS is empty: no feed to bridge")
    if bridge.create_topics:
        await ensure_bridge_topics(kafka, bridge, feeds)
    registry = CollectorRegistry()
    metrics = BridgeMetrics(registry)
    apis = [api for api in FEED_APIS if api.key in {f.feed.api.key for f in feeds}]
    # No linger: a page's records are all queued before the producer runs, and the checkpoint
    # after them has nothing to wait for; a linger only added its length twice per page.
    async with (
        open_nav(nav_settings, apis, registry) as nav,
        open_producer(kafka, linger_ms=0) as kafka_producer,
    ):
        checkpoints = CheckpointStore(kafka=kafka, topic=bridge.checkpoint_topic, producer=kafka_producer)
        leases = build_bridge(
            kafka,
            bridge,
            feeds,
            nav=nav.client,
            producer=Producer(kafka_producer),
            publisher=PagePublisher(kafka_producer),
            checkpoints=checkpoints,
            metrics=metrics,
        )
        connected = asyncio.Event()
        probe = BrokerProbe(kafka, interval=bridge.broker_check_seconds)
        checks = ReadinessChecks(
            broker_connected=lambda: connected.is_set() and probe.connected,
            some_api_available=lambda: any(b.state != "open" for b in nav.client.breakers.values()),
        )
        heartbeat = Heartbeat(timeout=bridge.liveness_timeout_seconds)
        main_loop = asyncio.get_running_loop()
        health = create_health_app(checks, registry, heartbeat=heartbeat, main_loop=main_loop)
        async with beating(heartbeat), serve_health(health, bridge.http_host, bridge.http_port):
            await checkpoints.start()
            try:
                connected.set()
                freeze_startup_objects()
                log.info("bridge running: %d feeds", len(feeds))
                async with asyncio.TaskGroup() as group:
                    for lease in leases:
                        group.create_task(lease.hold(stop))
                    group.create_task(nav.tokens.run_refresher(stop))
                    group.create_task(probe.run(stop))
            finally:
                connected.clear()
                await checkpoints.stop()
