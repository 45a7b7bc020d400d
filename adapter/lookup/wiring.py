"""`build_lookups`: the lookups' parts wired together from settings, with no I/O, so the running
process and the AsyncAPI document are built by the same code."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from adapter.kafka import clients
from adapter.kafka.producer import Producer
from adapter.kafka.stopping import stop_within
from adapter.kafka.subscriber import declare_lookups
from adapter.lookup.metrics import LookupMetrics
from adapter.lookup.policy import LookupPolicy
from adapter.lookup.records import seconds_until_due
from adapter.lookup.reply_to import ReplyRoutes
from adapter.lookup.scheduler import LookupScheduler
from adapter.lookup.service import LookupService, NavCaller
from adapter.settings import KafkaSettings, LookupSettings
from adapter.shutdown import unless_stopped

log = logging.getLogger(__name__)

START_GRACE_SECONDS = 15.0
"""How long a stop waits for the consumers' start to end, within the drain timeout."""


def make_policy(settings: LookupSettings) -> LookupPolicy:
    topics = settings.request_topics()
    return LookupPolicy(
        scopes_by_request_topic={t: settings.callers[c] for t, c in topics.items()},
        caller_by_request_topic=topics,
        replies=reply_routes(settings),
        dead_letter_topic=settings.dead_letter_topic,
        audit_topic=settings.audit_topic,
        allow_synthetic_idents=settings.allow_synthetic_idents,
        key_secret=settings.key_secret(),
        dedupe_window_seconds=settings.dedupe_window_seconds,
        quotas_per_second=settings.caller_quotas,
        retry_topics=settings.retry_topics(),
        max_request_bytes=settings.max_request_bytes,
        max_request_headers=settings.max_request_headers,
        max_list_items=settings.max_list_items,
    )


def reply_routes(settings: LookupSettings) -> ReplyRoutes:
    topics = settings.request_topics()
    own = [
        *topics,
        settings.dead_letter_topic,
        settings.audit_topic,
        *(t for t, _ in settings.retry_topics()),
    ]
    return ReplyRoutes.build(
        {t: settings.reply_topic_of(c) for t, c in topics.items()},
        {t: settings.caller_reply_to.get(c, frozenset()) for t, c in topics.items()},
        own,
        settings.reply_to_denied,
    )


@dataclass(frozen=True)
class Lookups:
    """The lookups, built and not yet started: one FastStream broker, a scheduler per subscription."""

    broker: KafkaBroker
    schedulers: Sequence[LookupScheduler]

    def in_flight(self) -> int:
        return sum(s.in_flight for s in self.schedulers)

    def lag(self) -> dict[TopicPartition, int]:
        return {tp: behind for s in self.schedulers for tp, behind in s.lag().items()}

    async def run(self, stop: asyncio.Event, connected: asyncio.Event) -> None:
        """Consume until `stop` is set, then finish what is in flight and commit it."""
        committers: list[asyncio.Task[None]] = []
        try:
            # A stop lets the start (joining the groups) end first, as aiokafka leaks connections
            # when its start is cancelled; cut short only if Kafka is gone and it never would.
            if not await unless_stopped(self.broker.start(), stop, grace=START_GRACE_SECONDS):
                log.warning("stopped while joining the consumer groups: Kafka did not answer")
                return
            connected.set()
            committers = [asyncio.create_task(s.run_committer()) for s in self.schedulers]
            await stop.wait()
        finally:
            connected.clear()
            for task in committers:
                task.cancel()
            await asyncio.gather(*(s.close() for s in self.schedulers))
            # The drain is over (committed, or given up within its timeout): leaving the groups
            # must not hold the stop when Kafka no longer answers.
            await stop_within(self.broker.stop, "Kafka consumers")
            await asyncio.gather(*committers, return_exceptions=True)


def build_lookups(
    kafka: KafkaSettings,
    settings: LookupSettings,
    *,
    nav: NavCaller,
    producer: Producer,
    metrics: LookupMetrics | None,
) -> Lookups:
    service = LookupService(nav=nav, policy=make_policy(settings), metrics=metrics)
    broker = clients.faststream_broker(kafka, logger=None, middlewares=[KafkaTelemetryMiddleware()])
    requests = LookupScheduler(
        service=service,
        producer=producer,
        max_in_flight=settings.max_in_flight,
        drain_timeout=settings.drain_timeout_seconds,
        dead_letter_topic=settings.dead_letter_topic,
    )
    declare_lookups(
        broker,
        settings,
        requests,
        list(settings.request_topics()),
        "lookup-requests",
        settings.consumer_group,
        kafka.group_instance_id,
    )
    schedulers = [requests]
    if settings.retry_delays_seconds:
        retries = LookupScheduler(
            service=service,
            producer=producer,
            max_in_flight=settings.max_in_flight,
            hold=seconds_until_due,
            drain_timeout=settings.drain_timeout_seconds,
            dead_letter_topic=settings.dead_letter_topic,
        )
        # A group of its own: two subscriptions in one group would rebalance each other.
        declare_lookups(
            broker,
            settings,
            retries,
            [topic for topic, _ in settings.retry_topics()],
            "lookup-retries",
            f"{settings.consumer_group}.retries",
            kafka.group_instance_id,
        )
        schedulers.append(retries)
    return Lookups(broker, tuple(schedulers))
