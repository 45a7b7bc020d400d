"""pensjon-gw answers 503 over its rate limit (shared by every caller of NAV): the `nav-adapter
bridge` process backs off, honours Retry-After, keeps the circuit closed and loses nothing."""

import asyncio
import time
from pathlib import Path

import pytest

from devtools.devkeys import DevKeys
from tests.support.bridge import (
    BridgeProcess,
    FeedSandbox,
    bridge_metric,
    bridge_settings,
    feed_sandbox,
    tally,
    wait_for_records,
)

pytestmark = pytest.mark.e2e

STORM = 20
"""503s in a row: four times the circuit breaker's threshold."""


async def _faults_used_up(sandbox: FeedSandbox, timeout: float = 60.0) -> None:
    http = sandbox.http
    deadline = time.monotonic() + timeout
    while (await http.get("/_sandbox/faults")).json()["faults"]:
        assert time.monotonic() < deadline, "the bridge stopped asking NAV"
        await asyncio.sleep(0.1)


async def test_a_503_storm_from_pensjon_gw_is_backed_off_not_an_outage(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(
            sandbox,
            [{"feed": "samordning.ytelser", "tpnr": "3010", "page_size": 8}],
            retry_base_seconds=0.05,
            retry_max_seconds=0.4,
        )
        (feed,) = bridge.configured_feeds()
        process = BridgeProcess(sandbox, bridge, tmp_path / "bridge.log", http_port=bridge.http_port)
        labels = {"feed": feed.id}
        try:
            process.start()
            await wait_for_records(kafka_bootstrap, feed.topic, 20)
            fault = {"api": "samordning.ytelser", "status": 503, "count": STORM}
            (await sandbox.http.post("/_sandbox/faults", json=fault)).raise_for_status()
            await sandbox.command(feed.feed.name, "events", count=13, tpnr=feed.tpnr)
            circuit = []
            while (await sandbox.http.get("/_sandbox/faults")).json()["faults"]:
                circuit.append(await bridge_metric(bridge, "nav_adapter_circuit_state", api="samordning"))
                await asyncio.sleep(0.05)
            assert circuit and set(circuit) == {0.0}, "the circuit opened during the storm"
            waited = await bridge_metric(
                bridge, "nav_bridge_backoff_seconds_total", **labels, kind="rate_limited"
            )
            assert waited > 0

            # With Retry-After, the bridge waits as long as NAV says.
            fault = {"api": "samordning.ytelser", "status": 503, "count": 2, "retry_after": 1}
            (await sandbox.http.post("/_sandbox/faults", json=fault)).raise_for_status()
            await sandbox.command(feed.feed.name, "events", count=1, tpnr=feed.tpnr)
            await _faults_used_up(sandbox)
            records = await wait_for_records(kafka_bootstrap, feed.topic, 34, kind="event", timeout=60)
            after = await bridge_metric(
                bridge, "nav_bridge_backoff_seconds_total", **labels, kind="rate_limited"
            )
            assert after - waited >= 2.0 - 1e-9  # two Retry-After: 1, summed as floats

            counts = tally(records, await sandbox.numbers(feed.feed.name, feed.tpnr))
            assert (counts.missing, counts.duplicated, counts.out_of_order) == (0, 0, 0), counts.line(feed.id)
            assert await bridge_metric(bridge, "nav_bridge_rate_limited_total", **labels) == STORM + 2
            assert await bridge_metric(bridge, "nav_bridge_fetch_failures_total", **labels) == 0
            assert await bridge_metric(bridge, "nav_adapter_circuit_state", api="samordning") == 0
            assert "circuit open" not in process.log_path.read_text()
            assert process.terminate() == 0
        finally:
            process.kill()


async def test_the_bridge_keeps_under_pensjon_gws_limit_per_endpoint_with_every_tpnr_sharing_it(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    # pensjon-gw's 100 a minute per endpoint, scaled down so that a wrong bucket shows soon.
    per_minute = 6
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        switched = await sandbox.http.post("/_sandbox/gateway-limit", json={"per_minute": per_minute})
        switched.raise_for_status()
        entries = [
            {"feed": "samordning.ytelser", "tpnr": "3010", "page_size": 25},
            {"feed": "samordning.ytelser", "tpnr": "3200", "page_size": 25},
            {"feed": "samordning.personer", "tpnr": "3010", "page_size": 25},
        ]
        bridge = bridge_settings(sandbox, entries, requests_per_minute={"samordning": per_minute})
        process = BridgeProcess(sandbox, bridge, tmp_path / "bridge.log", http_port=bridge.http_port)
        try:
            process.start()
            for feed in bridge.configured_feeds():
                records = await wait_for_records(kafka_bootstrap, feed.topic, 20, kind="event", timeout=90)
                counts = tally(records, await sandbox.numbers(feed.feed.name, feed.tpnr))
                assert (counts.missing, counts.duplicated) == (0, 0), counts.line(feed.id)
            # Past the bucket's burst, the two ytelser feeds poll on through one shared bucket.
            await asyncio.sleep(5)
            limit = (await sandbox.http.get("/_sandbox/gateway-limit")).json()
            assert limit["refused"] == 0, "the bridge went over an endpoint's limit"
            stats = (await sandbox.http.get("/_sandbox/stats")).json()["requests"]
            assert stats["samordning.ytelser"]["200"] >= 5  # the burst, then paced: not stopped
            assert process.terminate() == 0
        finally:
            process.kill()
