"""One active bridge per feed: a lease held through Kafka itself.

Every bridge process for a feed joins one consumer group on a one-partition lease topic (nothing
is ever written to it). The member holding partition 0 is active and runs the feed; the others
wait. When the active one dies, the group notices within the session timeout and hands the
partition to a standby. On revocation the work is cancelled and the producer flushed before the
rebalance may complete, so the next holder reads a topic that no longer changes under it.

A member that holds the lease but cannot reach the group coordinator keeps publishing until it
notices; Kafka's own consumers share that limit, and the resume rule keeps it to duplicates of
at most one page, never a loss.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment, ConsumerProtocolMemberMetadata

from adapter.kafka import clients
from adapter.kafka.stopping import stop_within
from adapter.settings import KafkaSettings

log = logging.getLogger(__name__)


class LeaseAssignor:
    """Gives partition 0 to the member that held it in the last generation, else to the first.

    Rebalancing is eager (every member gives up everything first), so without this stickiness a
    standby joining the group could take the lease away from a healthy active bridge.
    """

    name = "nav-bridge-lease"
    version = 0

    def __init__(self) -> None:
        self.held = False

    def metadata(self, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        return ConsumerProtocolMemberMetadata(self.version, sorted(topics), b"held" if self.held else b"")

    def assign(
        self, cluster: Any, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        holders = sorted(m for m, meta in members.items() if meta.user_data == b"held")
        chosen = holders[0] if holders else min(members)
        return {
            member: ConsumerProtocolMemberAssignment(
                self.version,
                [(topic, [0]) for topic in sorted(meta.subscription)] if member == chosen else [],
                b"",
            )
            for member, meta in members.items()
        }

    def on_assignment(self, assignment: ConsumerProtocolMemberAssignment) -> None:
        self.held = bool(assignment.partitions())


class Lease:
    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        topic: str,
        group_id: str,
        session_timeout_ms: int,
        name: str,
        work: Callable[[], Coroutine[Any, Any, None]],
        release: Callable[[], Awaitable[None]],
        on_change: Callable[[bool], None] = lambda held: None,
    ) -> None:
        self._kafka = kafka
        self._topic = topic
        self._group = group_id
        self._session_ms = session_timeout_ms
        self._name = name
        self._work = work
        self._release = release
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None

    async def hold(self, stop: asyncio.Event) -> None:
        """Take part in the group until `stop`; run the work whenever this member holds the lease."""
        consumer = clients.consumer(
            self._kafka,
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            session_timeout_ms=self._session_ms,
            heartbeat_interval_ms=max(100, self._session_ms // 5),
            partition_assignment_strategy=(LeaseAssignor(),),
        )
        consumer.subscribe([self._topic], listener=_Listener(self))
        await consumer.start()
        try:
            while not stop.is_set():
                # Nothing is ever written to the lease topic: polling only keeps the membership.
                await consumer.getmany(timeout_ms=200)
        finally:
            await self._revoke()
            # Leaves the group, so a standby takes over at once; bounded, as a frozen broker would
            # hold it (the standby then takes over when this member's session times out).
            await stop_within(consumer.stop, "lease consumer")

    def _acquire(self) -> None:
        if self._task is None:
            log.info("lease acquired: feed=%s", self._name, extra={"feed": self._name})
            self._task = asyncio.create_task(self._work(), name=f"bridge {self._name}")
            self._on_change(True)

    async def _revoke(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self._release()
        self._on_change(False)
        log.info("lease released: feed=%s", self._name, extra={"feed": self._name})


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._lease._revoke()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        if TopicPartition(self._lease._topic, 0) in assigned:
            self._lease._acquire()
