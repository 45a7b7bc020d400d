"""The bridge's composition root: every resource built once from settings, one lease per feed.

Follow a feed from here: `Lease.hold` joins the feed's lease group; while it holds partition 0
it runs `FeedBridge.run`, which reads pages through `FeedSource`, checks them
(`continuity.check_page`), publishes them (`Publisher`) and checkpoints (`CheckpointStore`).
"""

import asyncio
import logging
from collections.abc import Callable

import prometheus_client
from aiokafka import AIOKafkaProducer

from adapter.app import nav_sender
from adapter.bridge import metrics
from adapter.bridge.checkpoints import CheckpointStore
from adapter.bridge.feed import ConfiguredFeed
from adapter.bridge.lease import Lease
from adapter.bridge.pacing import Pacing, RateLimiter
from adapter.bridge.publisher import Publisher
from adapter.bridge.runner import FeedBridge
from adapter.bridge.settings import BridgeSettings
from adapter.bridge.source import FeedSource
from adapter.heap import freeze_startup_objects
from adapter.kafka.topics import ensure_topics
from adapter.nav.client import ApiEndpoint
from adapter.settings import Settings
from contracts.feeds import FEED_APIS

log = logging.getLogger(__name__)


async def ensure_bridge_topics(bootstrap: str, bridge: BridgeSettings, feeds: list[ConfiguredFeed]) -> None:
    await ensure_topics(bootstrap, [f.topic for f in feeds], partitions=bridge.topic_partitions)
    await ensure_topics(bootstrap, [bridge.checkpoint_topic], compacted=frozenset({bridge.checkpoint_topic}))
    await ensure_topics(bootstrap, [bridge.lease_topic(f.id) for f in feeds], partitions=1)


def _pacing(bridge: BridgeSettings) -> Pacing:
    return Pacing(
        idle_seconds=bridge.idle_seconds,
        max_idle_seconds=bridge.max_idle_seconds,
        retry_base_seconds=bridge.retry_base_seconds,
        retry_max_seconds=bridge.retry_max_seconds,
    )


def _active_gauge(feed_id: str) -> Callable[[bool], None]:
    gauge = metrics.ACTIVE.labels(feed_id)
    return lambda held: gauge.set(int(held))


async def run_bridge(settings: Settings, bridge: BridgeSettings, stop: asyncio.Event) -> None:
    """Bridge every configured feed until `stop` is set; then hand the leases on at once."""
    feeds = bridge.configured_feeds()
    if not feeds:
        raise ValueError("BRIDGE_FEEDS is empty: no feed to bridge")
    bootstrap = settings.kafka_bootstrap_servers
    if bridge.create_topics:
        await ensure_bridge_topics(bootstrap, bridge, feeds)
    if bridge.metrics_port is not None:
        prometheus_client.start_http_server(bridge.metrics_port)
    # No linger: a page's records are all queued before the producer runs, and the checkpoint
    # after them has nothing to wait for; a linger only added its length twice per page.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    checkpoints = CheckpointStore(
        bootstrap_servers=bootstrap, topic=bridge.checkpoint_topic, producer=producer
    )
    async with nav_sender(settings) as (sender, tokens):
        await producer.start()
        try:
            await checkpoints.start()
            publisher = Publisher(producer)
            subscription_key = settings.subscription_key()
            # One bucket per API: NAV's limit is per client, whatever the feed or tpnr.
            limiters = {
                api.key: RateLimiter(limit) for api in FEED_APIS if (limit := bridge.rate_limit(api.key))
            }
            leases = []
            for feed in feeds:
                api = feed.feed.api.key
                source = FeedSource(
                    feed=feed,
                    sender=sender,
                    endpoint=ApiEndpoint(
                        bridge.base_url(api),
                        subscription_key if bridge.sends_subscription_key(api) else None,
                    ),
                    consumer_id=settings.consumer_id,
                    limiter=limiters.get(api),
                    timeout=settings.nav_timeout_seconds,
                )
                runner = FeedBridge(
                    feed=feed,
                    source=source,
                    publisher=publisher,
                    checkpoints=checkpoints,
                    bootstrap_servers=bootstrap,
                    policy=bridge.continuity_policy,
                    pacing=_pacing(bridge),
                    key_secret=bridge.key_secret(),
                )
                leases.append(
                    Lease(
                        bootstrap_servers=bootstrap,
                        topic=bridge.lease_topic(feed.id),
                        group_id=bridge.lease_group(feed.id),
                        session_timeout_ms=bridge.lease_session_timeout_ms,
                        name=feed.id,
                        work=runner.run,
                        release=publisher.flush,
                        on_change=_active_gauge(feed.id),
                    )
                )
            freeze_startup_objects()
            log.info("bridge running: %d feeds", len(feeds))
            async with asyncio.TaskGroup() as group:
                for lease in leases:
                    group.create_task(lease.hold(stop))
                group.create_task(tokens.run_refresher(stop))
        finally:
            await checkpoints.stop()
            await producer.stop()
