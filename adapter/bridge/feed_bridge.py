"""One feed's loop, run while this process holds the feed's lease:

    resume -> fetch a page -> check continuity -> publish, await acks -> checkpoint -> pace -> fetch ...

pipelined in two places, so that a page costs one Kafka round trip, and no NAV round trip of
its own while pages come back full:
- the next page is fetched while this one is published (its start is known once this page is
  checked; a fetch has no effect on Kafka, so a crash during it changes nothing);
- a page's checkpoint is due once every record of the page is acknowledged, and is handed to the
  producer right after the next page's records, so that both go to Kafka in one request; the
  next page is done when both are acknowledged. A checkpoint never names a number whose record
  was not acknowledged, and one is due at most. Before an idle wait or a halt it is written and
  awaited; on a reset by an operator it is dropped. Kafka transactions would put records and
  checkpoint in one step, but the embedded broker has none, and nothing here may depend on them.

No Kafka transactions: a crash after publishing and before the checkpoint is acknowledged leaves
records beyond the durable checkpoint (the page whose checkpoint was due, and part of the next),
which the next resume finds on the topic and does not publish again (`adapter.bridge.resume`). A
failed publish or checkpoint is handled the same way: the bridge resumes from what the topic
holds rather than retrying blindly.
"""

import asyncio
import contextlib
import contextvars
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiokafka.structs import RecordMetadata

from adapter.bridge.checkpoints import CheckpointStore
from adapter.bridge.continuity import (
    Anchor,
    Checked,
    Discontinuity,
    Gap,
    Renumbered,
    check_page,
    fetch_start,
)
from adapter.bridge.feed import ConfiguredFeed, ContinuityPolicy
from adapter.bridge.metrics import BridgeMetrics
from adapter.bridge.pacing import Pacer, Pacing
from adapter.bridge.page import Page
from adapter.bridge.publishing import PagePublisher
from adapter.bridge.records import to_records
from adapter.bridge.resume import Resume, plan_resume, published_after
from adapter.nav.errors import NavError
from adapter.observability.tracing import page_span
from adapter.settings import KafkaSettings
from nav_lookup_contracts.bridged import Checkpoint
from nav_lookup_contracts.replies import ErrorCode

log = logging.getLogger(__name__)


class PageSource(Protocol):
    async def fetch(self, start: int) -> Page: ...


class FeedBridge:
    def __init__(
        self,
        *,
        feed: ConfiguredFeed,
        source: PageSource,
        publisher: PagePublisher,
        checkpoints: CheckpointStore,
        kafka: KafkaSettings,
        policy: ContinuityPolicy,
        pacing: Pacing,
        metrics: BridgeMetrics,
        key_secret: bytes | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        halt_poll_seconds: float = 1.0,
    ) -> None:
        self._feed = feed
        self._source = source
        self._publisher = publisher
        self._checkpoints = checkpoints
        self._kafka = kafka
        self._policy = policy
        self._pacer = Pacer(pacing, rng=rng)
        self._secret = key_secret
        self._metrics = metrics
        self._sleep = sleep
        self._halt_poll = halt_poll_seconds
        self._last_reported: Discontinuity | None = None
        self._anchor: Anchor | None = None
        self._fields = {"feed": feed.id}
        self._due: Checkpoint | None = None
        """The checkpoint of the last page, every record of it acknowledged, not yet handed over."""

    async def run(self) -> None:
        """Publish the feed until cancelled (the lease was lost or the process is stopping)."""
        while True:
            try:
                await self._publish_from(await self._resume())
            except Exception as exc:
                # Kafka refused a page or a checkpoint, or something unforeseen: what is on the
                # topic is uncertain now, so start over from the topic after a pause.
                self._metrics.publish_failures.labels(self._feed.id).inc()
                log.warning(
                    "feed %s: %s; resuming from the topic",
                    self._feed.id,
                    type(exc).__name__,
                    exc_info=exc,
                    extra=self._fields,
                )
                await self._sleep(self._pacer.after_failure())

    async def _resume(self) -> Resume:
        feed = self._feed
        self._due = None  # handed over when the last run ended, or lost with it: the topic tells
        await self._checkpoints.catch_up()
        self._checkpoints.pop_reset(feed.id)  # settled by the latest checkpoint, read just now
        checkpoint = self._checkpoints.latest(feed.id)
        if checkpoint is not None and checkpoint.reset:
            resume = Resume(checkpoint.sequence + 1)
        else:
            done = checkpoint.sequence if checkpoint else feed.feed.first_sequence - 1
            # Beyond the checkpoint lie at most two pages (the last acknowledged one, whose
            # checkpoint may be lost, and part of the next; samordning: up to page_size + 1 items
            # each) and a gap record before each item.
            published = await published_after(
                self._kafka, feed.topic, feed.id, done, window=4 * feed.page_size + 4
            )
            resume = plan_resume(checkpoint, published, first_sequence=feed.feed.first_sequence)
        self._anchor = None
        if checkpoint is not None and checkpoint.anchor and checkpoint.sequence == resume.next_sequence - 1:
            self._anchor = Anchor(checkpoint.sequence, checkpoint.anchor, checkpoint.nav_highest)
        log.info(
            "feed %s: resuming at %d (checkpoint %s, %d beyond it already on the topic)",
            feed.id,
            resume.next_sequence,
            "none" if checkpoint is None else checkpoint.sequence,
            len(resume.already_published),
            extra=self._fields,
        )
        return resume

    async def _publish_from(self, resume: Resume) -> None:
        expected, skip = resume.next_sequence, resume.already_published
        ahead: tuple[int, asyncio.Task[Page]] | None = None
        """The next page's start and its fetch, begun while the page before it is published."""
        try:
            while True:
                await self._checkpoints.poll()
                if (reset := self._checkpoints.pop_reset(self._feed.id)) is not None:
                    log.warning(
                        "feed %s: checkpoint reset to %d by an operator",
                        self._feed.id,
                        reset.sequence,
                        extra=self._fields,
                    )
                    expected, skip, self._anchor = reset.sequence + 1, frozenset(), None
                    self._due = None  # written after the reset, it would undo it
                start = fetch_start(expected, self._anchor)
                outside = contextvars.copy_context()  # the next page's fetch is no part of this span
                with page_span(self._feed.id, expected) as span:
                    if ahead is not None and ahead[0] != start:
                        _drop(ahead)  # fetched from before the reset
                        ahead = None
                    page = await (ahead[1] if ahead is not None else self._fetch(start))
                    ahead = None
                    checked = check_page(
                        page,
                        expected=expected,
                        policy=self._policy,
                        gaps_expected=self._feed.gaps_expected,
                        already_published=skip,
                        anchor=self._anchor,
                    )
                    self._report(checked)
                    # Decided before the next fetch can fail, as when pages were fetched one by one.
                    delay = (
                        0.0
                        if checked.halted
                        else self._pacer.after_page(full=page.full, items=len(page.items))
                    )
                    if page.full and not checked.halted:
                        following = fetch_start(checked.next_sequence, checked.anchor)
                        ahead = (following, asyncio.create_task(self._fetch(following), context=outside))
                    await self._publish(checked, expected)
                    span.set_attribute("nav.feed.next", checked.next_sequence)
                expected, self._anchor = checked.next_sequence, checked.anchor
                skip = frozenset(s for s in skip if s >= expected)
                if checked.halted:
                    await self._write_due()
                    reset = await self._wait_for_reset(expected)
                    # After a reset nothing is known of the position: the operator said where to go on.
                    expected, skip, self._anchor = reset.sequence + 1, frozenset(), None
                    continue
                if delay:
                    await self._write_due()
                    await self._sleep(delay)
        finally:
            if ahead is not None:
                _drop(ahead)
            # Its records are acknowledged: handed over, it saves the next holder reading them again.
            # The lease's release flushes the producer.
            with contextlib.suppress(Exception):
                await self._hand_over_due()

    async def _fetch(self, start: int) -> Page:
        while True:
            try:
                page = await self._source.fetch(start)
            except NavError as exc:
                delay = self._pacer.after_failure(getattr(exc, "retry_after", None))
                if exc.code is ErrorCode.RATE_LIMITED:
                    # NAV's gateway limit is shared by every caller: slow down, it is no outage.
                    kind, level = "rate_limited", logging.WARNING
                    self._metrics.rate_limited.labels(self._feed.id).inc()
                else:
                    kind, level = "failure", logging.WARNING if exc.retryable else logging.ERROR
                    self._metrics.fetch_failures.labels(self._feed.id).inc()
                self._metrics.backoff_seconds.labels(self._feed.id, kind).inc(delay)
                log.log(
                    level,
                    "feed %s: %s; next attempt in %.1fs",
                    self._feed.id,
                    exc.message,
                    delay,
                    extra=self._fields,
                )
                await self._sleep(delay)
                continue
            if page.highest is not None:
                self._metrics.nav_highest.labels(self._feed.id).set(page.highest)
            return page

    async def _publish(self, checked: Checked, expected: int) -> None:
        records = to_records(self._feed, checked.entries, self._secret)
        acks = await self._publisher.queue(records)
        done = self._due.sequence if self._due is not None else None
        # The checkpoint of the page before joins these records in one request: no await between.
        if (checkpoint_acked := await self._hand_over_due()) is not None:
            acks.append(checkpoint_acked)
        await asyncio.gather(*acks)
        if done is not None:
            self._metrics.position.labels(self._feed.id).set(done)
        if records:
            gaps = sum(1 for entry in checked.entries if isinstance(entry, Gap))
            marks = sum(1 for entry in checked.entries if isinstance(entry, Renumbered))
            self._metrics.published.labels(self._feed.id, "event").inc(len(records) - gaps - marks)
            self._metrics.published.labels(self._feed.id, "gap").inc(gaps)
            if marks:
                self._metrics.published.labels(self._feed.id, "renumbered").inc(marks)
        if checked.next_sequence > expected:
            last = checked.next_sequence - 1
            anchor = checked.anchor if checked.anchor and checked.anchor.sequence == last else None
            # Every record up to `last` is acknowledged: its checkpoint is due.
            self._due = Checkpoint(
                feed=self._feed.id,
                sequence=last,
                anchor=anchor.identity if anchor else None,
                nav_highest=anchor.nav_highest if anchor else None,
            )

    async def _hand_over_due(self) -> "asyncio.Future[RecordMetadata] | None":
        due, self._due = self._due, None
        return None if due is None else await self._checkpoints.send(due)

    async def _write_due(self) -> None:
        """The due checkpoint written and acknowledged (before the bridge waits)."""
        due = self._due
        if (acked := await self._hand_over_due()) is not None and due is not None:
            await acked
            self._metrics.position.labels(self._feed.id).set(due.sequence)

    def _report(self, checked: Checked) -> None:
        for found in checked.discontinuities:
            # NAV staying behind the bridge is seen on every poll; report it once.
            if found == self._last_reported:
                continue
            self._last_reported = found
            self._metrics.discontinuities.labels(self._feed.id, found.kind).inc()
            log.error(
                "feed %s: %s in NAV's sequence numbers: expected %d, got %d (policy %s)",
                self._feed.id,
                found.kind.replace("_", " "),
                found.expected,
                found.received,
                self._policy,
                extra=self._fields,
            )

    async def _wait_for_reset(self, expected: int) -> Checkpoint:
        self._metrics.halted.labels(self._feed.id).set(1)
        log.error(
            "feed %s: halted before %d; `nav-adapter reset-checkpoint %s SEQ` sets where to go on",
            self._feed.id,
            expected,
            self._feed.id,
            extra=self._fields,
        )
        try:
            while True:
                await self._sleep(self._halt_poll)
                await self._checkpoints.poll()
                if (reset := self._checkpoints.pop_reset(self._feed.id)) is not None:
                    log.warning(
                        "feed %s: checkpoint reset to %d; going on",
                        self._feed.id,
                        reset.sequence,
                        extra=self._fields,
                    )
                    return reset
        finally:
            # Also when the lease goes: the next holder will find the gap and say so itself.
            self._metrics.halted.labels(self._feed.id).set(0)


def _drop(ahead: tuple[int, "asyncio.Task[Page]"]) -> None:
    """A fetch begun ahead that will not be used: cancelled (a page read from NAV changes nothing)."""
    task = ahead[1]
    task.cancel()
    # Had it failed already, its error went with the page it was for; it is not news.
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
