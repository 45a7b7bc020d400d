"""NAV renumbering samordning's vedtak positions (rows deleted, or hidden rows appearing), seen by
the running `nav-adapter bridge` process: halted by default, marked under `gap-record`, never a
silent skip or repeat, also when it happened while the bridge was down."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import pytest

from adapter.bridge.commands import reset_checkpoint
from adapter.settings import BridgeSettings
from devtools.devkeys import DevKeys
from nav_lookup_contracts.bridged import RenumberedRecord
from tests.support.bridge import (
    BridgeProcess,
    Record,
    bridge_metric,
    bridge_settings,
    feed_sandbox,
    read_topic,
    wait_for_records,
)

pytestmark = pytest.mark.e2e

TPNR = "3010"
FEED = "samordning.vedtak"


async def _until(predicate: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def _vedtak_ids(records: list[Record]) -> list[str]:
    events = sorted((r for r in records if r.kind == "event"), key=lambda r: r.sequence)
    return [orjson.loads(r.value)["event"]["vedtakId"] for r in events]


async def test_a_renumbering_while_the_bridge_was_down_halts_it_until_an_operator_resets(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(sandbox, [{"feed": FEED, "tpnr": TPNR, "page_size": 8}])
        assert bridge.continuity_policy == "halt"
        (feed,) = bridge.configured_feeds()
        first = BridgeProcess(sandbox, bridge, tmp_path / "first.log", http_port=bridge.http_port)
        first.start()
        try:
            await wait_for_records(kafka_bootstrap, feed.topic, 20)
            await asyncio.sleep(0.5)  # the checkpoint after the last page
        finally:
            assert first.terminate() == 0
        before = await sandbox.items(FEED, TPNR)
        # NAV archives three rows (as V7 did): positions 5.. move down by three.
        await sandbox.command(FEED, "renumber", tpnr=TPNR, at=5, delete=3)
        await sandbox.command(FEED, "events", tpnr=TPNR, count=4)

        second = BridgeProcess(sandbox, bridge, tmp_path / "second.log", http_port=bridge.http_port)
        second.start()
        try:

            async def halted() -> bool:
                return await bridge_metric(bridge, "nav_bridge_halted", feed=feed.id) == 1

            await _until(halted)
            renumbered = await bridge_metric(
                bridge, "nav_bridge_discontinuities_total", feed=feed.id, kind="renumbered"
            )
            assert renumbered == 1
            records = await read_topic(kafka_bootstrap, feed.topic)
            assert _vedtak_ids(records) == [before[n]["vedtakId"] for n in range(1, 21)]

            # The operator finds the last published vedtak at its new position (20 - 3) and goes on.
            await reset_checkpoint(sandbox.kafka, bridge.checkpoint_topic, feed.id, 17)
            records = await wait_for_records(kafka_bootstrap, feed.topic, 24, kind="event")
            now = await sandbox.items(FEED, TPNR)
            ids = _vedtak_ids(records)
            assert len(ids) == 24 and len(set(ids)) == 24, "a vedtak was published twice"
            new = {now[n]["vedtakId"] for n in range(18, 22)}
            assert set(ids) == {before[n]["vedtakId"] for n in range(1, 21)} | new
            assert set(ids) >= {item["vedtakId"] for item in now.values()}, "a vedtak was skipped"
        finally:
            assert second.terminate() == 0


async def test_under_gap_record_a_renumbering_is_marked_on_the_topic_and_the_bridge_goes_on(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(
            sandbox, [{"feed": FEED, "tpnr": TPNR, "page_size": 8}], continuity_policy="gap-record"
        )
        (feed,) = bridge.configured_feeds()
        process = BridgeProcess(sandbox, bridge, tmp_path / "bridge.log", http_port=bridge.http_port)
        process.start()
        try:
            await wait_for_records(kafka_bootstrap, feed.topic, 20)
            # NAV widens its filter (as 917a4ab did): two hidden rows appear at position 3.
            await sandbox.command(FEED, "renumber", tpnr=TPNR, at=3, insert=2)
            await sandbox.command(FEED, "events", tpnr=TPNR, count=3)
            records = await wait_for_records(kafka_bootstrap, feed.topic, 1, kind="renumbered")
            (mark,) = [r for r in records if r.kind == "renumbered"]
            marked = RenumberedRecord.model_validate_json(mark.value)
            # NAV's highest now: 22 if the bridge looked between the renumbering and the new events.
            assert marked.nav_highest_now in (22, 25), marked
            assert marked == RenumberedRecord(
                feed=feed.id,
                sequence=20,
                nav_highest_before=20,
                nav_highest_now=marked.nav_highest_now,
                tpnr=TPNR,
            )
            await _until(lambda: _renumbered_once(bridge, feed.id))
            # Under the new numbering the bridge carries on to NAV's newest position.
            now = await sandbox.items(FEED, TPNR)
            records = await wait_for_records(kafka_bootstrap, feed.topic, 20 + 4, kind="event")
            assert _vedtak_ids(records)[-1] == now[max(now)]["vedtakId"]
            assert await bridge_metric(bridge, "nav_bridge_halted", feed=feed.id) == 0
        finally:
            assert process.terminate() == 0


async def _renumbered_once(bridge: BridgeSettings, feed_id: str) -> bool:
    return (
        await bridge_metric(bridge, "nav_bridge_discontinuities_total", feed=feed_id, kind="renumbered") == 1
    )
