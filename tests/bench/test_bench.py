"""The benchmark's pure parts: percentiles, rates, ordered commits, request building, profile buckets."""

from pathlib import Path

from bench.__main__ import parser
from bench.baselines import Upstream, upstream_from
from bench.config import MIX, LookupsConfig, make_request
from bench.harness import Options, best_of
from bench.lookups import token_check
from bench.report import IDLE, category, latency_summary, percentile, steady_rate, targets
from devtools.dev import dev_nav_settings
from nav_lookup_contracts.lookups import LOOKUP_REQUEST
from nav_lookup_contracts.operations import OPERATIONS_BY_NAME


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert latency_summary([3.0, 1.0, 2.0])["max"] == 3.0


def test_steady_rate_counts_from_the_first_reply() -> None:
    rate, seconds = steady_rate([1000, 1500, 2000])
    assert seconds == 1.0
    assert rate == 2.0


def test_workload_requests_are_valid_and_cover_the_mix() -> None:
    requests = [make_request(i) for i in range(2 * len(MIX))]
    assert {r["operation"] for r in requests} == set(MIX)
    for request in requests:
        LOOKUP_REQUEST.validate_python(request, context={"allow_synthetic": True})


def test_baseline_builds_the_nav_request_from_the_table() -> None:
    upstream = Upstream(
        base_urls={"medlemskapsunntak": "http://nav/medl"},
        subscription_keys={"medlemskapsunntak": "key"},
        tokens={"nav:helse/v1/medlemskapsunntak": "tok"},
    )
    op = OPERATIONS_BY_NAME["medlemskapsunntak.get"]
    url, query, headers = upstream.request(op, {"request_id": "r1", "unntak_id": 42})
    assert url == "http://nav/medl/42"
    assert query == ()
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Ocp-Apim-Subscription-Key"] == "key"


def test_token_check_expects_one_fetch_per_scope_per_lifetime() -> None:
    assert token_check({"a": 1}, {"a": 2, "b": 1}, 10.0)["as_expected"]
    assert not token_check({}, {"a": 2}, 10.0)["as_expected"]
    assert token_check({}, {"a": 2}, 100.0)["as_expected"]  # renewed once, ahead of expiry


def test_targets_flag_a_missed_ratio() -> None:
    run = {"lookups_per_s": 1.0, "cpu_s_per_1000": 1.0, "peak_rss_mb": 90.0, "requests": 10}
    ratio = {"lookups_per_s": 0.4, "cpu_s_per_1000": 1.0, "peak_rss_mb": 1.0}
    results = {"throughput": {"baseline": run, "adapter": run, "ratio": ratio}}
    assert targets(results)["throughput_ratio"]["met"] is False


def test_profile_samples_go_to_the_innermost_library() -> None:
    frame = "f\x00{}\x001"
    stack = [frame.format("/work/adapter/nav/client.py"), frame.format("/site-packages/httpx/_client.py")]
    assert category(stack) == "httpx API and its aiohttp transport shim"
    assert category([*stack, frame.format("/site-packages/aiohttp/client.py")]).startswith("aiohttp")
    assert category(["epoll.poll\x00<built-in>\x000"]) == IDLE


def test_baseline_sends_the_subscription_key_only_where_the_api_wants_it() -> None:
    nav = dev_nav_settings("http://sandbox", "k", Path("/dev/null"))
    upstream = upstream_from(nav)
    assert upstream.base_urls["medlemskapsunntak"] == "http://sandbox/medlemskapsunntak"
    assert "medlemskapsunntak" in upstream.subscription_keys  # api.nav.no
    assert "uforeopplysninger" not in upstream.subscription_keys  # pensjon-gw


def test_lookup_settings_carry_the_run_s_topics_group_and_transport() -> None:
    config = LookupsConfig(
        bootstrap="127.0.0.1:9092",
        sandbox_url="http://127.0.0.1:1",
        key_id="k",
        key_file="/dev/null",
        request_topic_prefix="bench-1.main.requests.",
        reply_topic_template="bench-1.adapter.replies.{caller}",
        group="bench-1.adapter",
        max_in_flight=64,
        transport="httpx",
        fetch_max_wait_ms=5,
    )
    settings = config.settings()
    assert list(settings.lookups.request_topics()) == [config.request_topic]
    assert (settings.lookups.reply_topic_of("dev"), settings.lookups.consumer_group) == (
        "bench-1.adapter.replies.dev",
        config.group,
    )
    assert (settings.lookups.max_in_flight, settings.lookups.kafka_fetch_max_wait_ms) == (64, 5)
    assert (settings.lookups.http_port, settings.nav.http_transport) == (0, "httpx")
    assert LookupsConfig.from_json(config.to_json()) == config


def test_the_command_line_fills_every_option() -> None:
    opts = Options(**vars(parser().parse_args(["--mode", "bridge", "-n", "10", "--rate", "50"])))
    assert (opts.mode, opts.requests, opts.rate, opts.profile) == ("bridge", 10, 50.0, "auto")
    assert opts.output == Options().output


def test_best_of_keeps_the_lower_p99_when_asked_and_every_failure() -> None:
    runs = [
        {"latency_ms": {"p99": 12.0}, "failed_replies": 0, "complete": True},
        {"latency_ms": {"p99": 9.0}, "failed_replies": 2, "complete": True},
    ]
    kept = best_of(runs, lambda r: -float(r["latency_ms"]["p99"]), ("failed_replies",))
    assert kept["latency_ms"]["p99"] == 9.0
    assert kept["failed_replies"] == 2
    assert kept["rounds"] == [-12.0, -9.0]
