"""The bridge benchmark's pure parts: reading an events topic, settings, target and table."""

from typing import Any

from aiokafka import ConsumerRecord

from adapter.settings import KafkaSettings
from bench.bridge import EventReader, bare_sequence, bridged_sequence, faster_of
from bench.config import BridgeConfig
from bench.report import category, targets, text_table
from nav_lookup_contracts import headers as h


def record(partition: int, key: bytes | None, headers: list[tuple[str, bytes]], ts: int = 0) -> Any:
    return ConsumerRecord("t", partition, 0, ts, 0, key, b"{}", None, 0, 2, headers)


def bridged(partition: int, sequence: int, kind: bytes = b"event") -> Any:
    return record(partition, b"ident", [(h.NAV_SEQUENCE, str(sequence).encode()), (h.NAV_RECORD, kind)])


def test_collector_counts_each_number_once_and_flags_order_per_partition() -> None:
    collector = EventReader(KafkaSettings(bootstrap_servers="unused:9092"), "t", bridged_sequence)
    taken = [bridged(0, 1), bridged(1, 2), bridged(0, 3), bridged(0, 3), bridged(1, 2)]
    for r in [*taken, bridged(0, 9, b"gap")]:
        collector.take(r)
    assert collector.count == 3  # the gap record (9) is not an event
    assert collector.records == 5
    assert collector.out_of_order == 2  # 3 after 3, 2 after 2
    assert collector.missing(1, 4) == 1


def test_bare_records_are_numbered_by_their_key() -> None:
    assert bare_sequence(record(0, b"42", [])) == 42


def test_bridge_settings_are_valid_and_do_not_wait_between_full_pages() -> None:
    config = BridgeConfig(
        bootstrap="127.0.0.1:9092",
        sandbox_url="http://127.0.0.1:1",
        key_id="k",
        key_file="/dev/null",
        topic="bench-1.bridge.events",
        events=100,
    )
    bridge = config.bridge()
    (feed,) = bridge.configured_feeds()
    assert (feed.topic, feed.page_size) == (config.topic, config.page_size)
    assert bridge.checkpoint_topic != feed.topic
    assert bridge.rate_limit(feed.feed.api.key) is None  # nothing holds the bridge back
    assert bridge.http_port == 0  # a free port: runs side by side do not collide
    nav = config.dev().nav
    assert nav.base_url(feed.feed.api.key) == f"{config.sandbox_url}/{feed.feed.api.key}"
    assert nav.subscription_key_for(feed.feed.api.key) is not None  # an api.nav.no feed
    assert BridgeConfig.from_json(config.to_json()) == config


def run(rate: float) -> dict[str, Any]:
    return {
        "feed": "trygdehendelser",
        "page_size": 100,
        "events_per_s": rate,
        "distinct": 10,
        "missing": 0,
        "duplicated": 0,
        "out_of_order": 0,
        "complete": True,
        "peak_rss_mb": 80.0,
        "cpu_s_per_1000": 0.1,
        "cpu_utilisation": 0.5,
        "log": "x.log",
    }


def test_bridge_target_and_table() -> None:
    results: dict[str, Any] = {
        "bridge": {
            "bare": run(1000.0),
            "bridge": run(800.0),
            "ratio": {"events_per_s": 0.8, "peak_rss_mb": 1.0, "cpu_s_per_1000": 1.0},
        }
    }
    results["targets"] = targets(results)
    assert results["targets"]["bridge_ratio"]["met"] is False
    table = text_table(results)
    assert "bridge / bare loop" in table
    assert "lookups/s" not in table  # no lookup runs, no lookup table


def test_table_of_results_without_a_bridge_phase() -> None:
    results = {"throughput": {"baseline": {"requests": 5, "lookups_per_s": 1.0}}}
    assert "bridge run" not in text_table(results)


def test_bridge_profile_buckets() -> None:
    frame = "f\x00{}\x001"
    stack = [frame.format("/work/adapter/bridge/runner.py"), frame.format("/site-packages/pydantic/main.py")]
    assert category(stack).startswith("pydantic")
    assert category(stack[:1]).startswith("the bridge's own code")


def _round(rate: float, *, missing: int = 0, duplicated: int = 0, complete: bool = True) -> dict[str, Any]:
    return {
        "events_per_s": rate,
        "missing": missing,
        "duplicated": duplicated,
        "out_of_order": 0,
        "complete": complete,
        "peak_rss_mb": rate / 100,
    }


def test_of_two_runs_the_faster_gives_the_figures_and_both_rates_are_kept() -> None:
    kept = faster_of([_round(9_000.0), _round(12_000.0)])
    assert kept["events_per_s"] == 12_000.0
    assert kept["peak_rss_mb"] == 120.0
    assert kept["rounds"] == [9_000.0, 12_000.0]


def test_missing_duplicated_or_incomplete_in_either_run_shows() -> None:
    kept = faster_of([_round(9_000.0, duplicated=3, complete=False), _round(12_000.0, missing=1)])
    assert (kept["missing"], kept["duplicated"], kept["complete"]) == (1, 3, False)
