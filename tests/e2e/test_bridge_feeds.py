"""Every feed end to end: the sandbox over HTTP, the bridge, the real broker."""

import orjson
import pytest

from devtools.devkeys import DevKeys
from nav_lookup_contracts.bridged import BridgedEvent, Checkpoint
from nav_lookup_contracts.feeds import FEEDS
from tests.support.bridge import (
    bridge_in_process,
    bridge_settings,
    feed_sandbox,
    read_topic,
    tally,
    wait_for_records,
)

pytestmark = pytest.mark.e2e

TPNR = "3010"
EXTRA = 13


@pytest.mark.tansu_smoke
async def test_every_feed_end_to_end(kafka_bootstrap: str, dev_keys: DevKeys) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        entries = [{"feed": f.name, "page_size": 8} | ({"tpnr": TPNR} if f.per_tpnr else {}) for f in FEEDS]
        entries.append({"feed": "samordning.vedtak", "tpnr": "3200", "page_size": 8})
        bridge = bridge_settings(sandbox, entries)
        feeds = bridge.configured_feeds()
        async with bridge_in_process(sandbox, bridge):
            for feed in feeds:  # the first 20 events were there at the start
                await wait_for_records(kafka_bootstrap, feed.topic, 20)
            for feed in feeds:  # and these come while the bridge polls
                await sandbox.command(feed.feed.name, "events", count=EXTRA, tpnr=feed.tpnr)
            for feed in feeds:
                records = await wait_for_records(kafka_bootstrap, feed.topic, 20 + EXTRA)
                items = await sandbox.items(feed.feed.name, feed.tpnr)
                counts = tally(records, list(items))
                assert (counts.missing, counts.duplicated, counts.out_of_order) == (0, 0, 0), counts.line(
                    feed.id
                )
                for record in records:
                    event = BridgedEvent.model_validate_json(record.value)
                    assert (event.feed, event.tpnr) == (feed.id, feed.tpnr)
                    assert event.event == items[record.sequence]  # as NAV served it
                    assert record.headers["nav-feed"] == feed.id.encode()
                    assert (
                        record.key
                        == feed.feed.ident_of(feed.feed.item_model.model_validate(event.event)).encode()
                    )

        checkpoints = {
            Checkpoint.model_validate_json(r.value).feed: Checkpoint.model_validate_json(r.value)
            for r in await read_topic(kafka_bootstrap, bridge.checkpoint_topic)
        }
        assert {f.id: checkpoints[f.id].sequence for f in feeds} == {f.id: 20 + EXTRA for f in feeds}
        requests = (await sandbox.http.get("/_sandbox/requests")).json()
        samordning = [r for r in requests if r["target"].startswith("samordning.")]
        assert samordning and all(dict(r["query"])["side"] == "0" for r in samordning)
        assert all("ocp-apim-subscription-key" not in r["headers"] for r in samordning)  # pensjon-gw: no key
        trygd = next(r for r in requests if r["target"] == "trygdehendelser")
        assert trygd["headers"]["ocp-apim-subscription-key"] == "[redacted]"
        assert orjson.loads(records[0].value)["kind"] == "event"
