"""The benchmark's pure parts: percentiles, rates, ordered commits, request building, profile buckets."""

from aiokafka import TopicPartition

from bench.baseline import Upstream, Watermarks
from bench.profile_summary import IDLE, category
from bench.report import latency_summary, percentile, steady_rate, targets
from bench.run import token_check
from bench.workload import MIX, make_request
from contracts.lookups import LOOKUP_REQUEST
from contracts.operations import OPERATIONS_BY_NAME


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert latency_summary([3.0, 1.0, 2.0])["max"] == 3.0


def test_steady_rate_counts_from_the_first_reply() -> None:
    rate, seconds = steady_rate([1000, 1500, 2000])
    assert seconds == 1.0
    assert rate == 2.0


def test_watermarks_never_pass_an_unfinished_offset() -> None:
    tp = TopicPartition("t", 0)
    marks = Watermarks()
    for offset in (5, 6, 7):
        marks.take(tp, offset)
    marks.finish(tp, 6)
    assert marks.to_commit() == {}
    marks.finish(tp, 5)
    assert marks.to_commit() == {tp: 7}
    marks.finish(tp, 7)
    assert marks.to_commit() == {tp: 8}


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
    assert query == []
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Ocp-Apim-Subscription-Key"] == "key"


def test_token_check_expects_one_fetch_per_scope_per_lifetime() -> None:
    assert token_check({"a": 1}, {"a": 2, "b": 1}, 10.0)["as_expected"]
    assert not token_check({}, {"a": 2}, 10.0)["as_expected"]
    assert token_check({}, {"a": 2}, 100.0)["as_expected"]  # renewed once, ahead of expiry


def test_targets_flag_a_missed_ratio() -> None:
    results = {"throughput": {"ratio": {"lookups_per_s": 0.5}}}
    assert targets(results)["throughput_ratio"]["met"] is False


def test_profile_samples_go_to_the_innermost_library() -> None:
    frame = "f\x00{}\x001"
    stack = [frame.format("/work/adapter/nav/client.py"), frame.format("/site-packages/httpx/_client.py")]
    assert category(stack) == "httpx API and its aiohttp transport shim"
    assert category([*stack, frame.format("/site-packages/aiohttp/client.py")]).startswith("aiohttp")
    assert category(["epoll.poll\x00<built-in>\x000"]) == IDLE
