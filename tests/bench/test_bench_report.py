"""The report across brokers: a broker column in every table, and each target's arithmetic."""

from typing import Any

import pytest

from bench.__main__ import parser
from bench.harness import Options
from bench.report import markdown, missed, per_broker, slow_nav_bound, summary, targets, text_table


def lookups(rate: float, cpu: float, rss: float = 100.0, tokens: bool = True) -> dict[str, Any]:
    run: dict[str, Any] = {
        "requests": 20_000,
        "lookups_per_s": rate,
        "cpu_s_per_1000": cpu,
        "peak_rss_mb": rss,
    }
    run["latency_ms"] = {"p50": 10.0, "p95": 20.0, "p99": 30.0}
    if tokens:
        run["tokens"] = {"fetches": {"a": 1, "b": 1}, "expected_per_scope": 1, "as_expected": True}
    return run


def broker_results(adapter_rate: float, adapter_cpu: float, adapter_added_p99: float) -> dict[str, Any]:
    baseline, adapter = lookups(4000.0, 0.2, 90.0, tokens=False), lookups(adapter_rate, adapter_cpu)
    ratio = {"lookups_per_s": adapter_rate / 4000.0, "cpu_s_per_1000": adapter_cpu / 0.2, "peak_rss_mb": 1.1}
    fixed = {"rate": 100.0, "baseline_added_p99_ms": 5.0, "adapter_added_p99_ms": adapter_added_p99}
    slow = lookups(900.0, 0.5) | {"nav_latency_ms": 100, "max_in_flight": 256, "requests": 5_000}
    return {
        "throughput": {"baseline": baseline, "adapter": adapter, "ratio": ratio},
        "fixed_rate": fixed,
        "slow_nav": slow,
    }


def test_throughput_target_and_aim_apart() -> None:
    got = targets(broker_results(2400.0, 0.3, 6.0))  # 0.6 of the bare rate, 1.5 x its CPU
    assert got["throughput_ratio"]["met"] is True
    assert got["throughput_aim"]["met"] is False
    assert got["throughput_aim"]["aim"] is True
    assert got["cpu_ratio"]["value"] == 1.5
    assert got["cpu_ratio"]["met"] is True
    assert not missed({"aim": got["throughput_aim"]})  # an aim not reached is no miss


def test_cpu_ratio_above_two_is_missed() -> None:
    got = targets(broker_results(2400.0, 0.5, 6.0))
    assert got["cpu_ratio"]["met"] is False
    assert missed(got)


def test_added_p99_is_measured_against_the_bare_pipeline_s_plus_3_ms() -> None:
    assert targets(broker_results(2400.0, 0.3, 8.0))["added_p99_ms"]["met"] is True  # 5 + 3
    over = targets(broker_results(2400.0, 0.3, 8.5))["added_p99_ms"]
    assert (over["met"], over["value"]) == (False, 3.5)


def test_slow_nav_bound_is_the_lower_of_in_flight_and_cpu() -> None:
    slow = {"max_in_flight": 256, "nav_latency_ms": 100}
    rate, which = slow_nav_bound(slow, 1000.0)
    assert (rate, which.startswith("CPU")) == (1000.0, True)
    rate, which = slow_nav_bound(slow, 5000.0)
    assert (rate, which.startswith("in-flight")) == (2560.0, True)
    assert slow_nav_bound(slow, None)[0] == 2560.0  # no saturated run: the in-flight limit alone


def test_slow_nav_target_says_which_bound_held() -> None:
    got = targets(broker_results(1000.0, 0.3, 6.0))["slow_nav"]  # 900/s against the CPU bound 1,000
    assert got["met"] is True
    assert "CPU-bound" in got["detail"]
    assert targets(broker_results(1100.0, 0.3, 6.0))["slow_nav"]["met"] is False  # 900 < 0.9 x 1,100


def test_slow_nav_names_the_bare_pipeline_beside_it_when_it_ran() -> None:
    results = broker_results(2400.0, 0.3, 6.0)
    assert "bare pipeline" not in targets(results)["slow_nav"]["detail"]
    results["slow_nav"]["baseline"] = lookups(1000.0, 0.2, tokens=False)
    got = targets(results)["slow_nav"]
    assert got["met"] is False  # the bare rate is shown, not the bound
    assert got["detail"].endswith("bare pipeline 1,000/s, adapter / bare 0.90")
    table = text_table({"brokers": {"tansu": results}})
    bare_row = table.index("tansu   baseline, NAV 100 ms late, 5,000 pre-loaded")
    assert bare_row < table.index("tansu   adapter, NAV 100 ms late, 5,000 pre-loaded")


def test_every_table_names_the_broker_of_each_row() -> None:
    results: dict[str, Any] = {
        "brokers": {
            "apache": broker_results(2400.0, 0.3, 6.0),
            "tansu": broker_results(1200.0, 0.5, 9.0),
        },
        "machine": {
            "nproc": 2,
            "cpu_model": "x",
            "python": "3.11",
            "loadavg": "1 1 1",
            "git": {"commit": "abc"},
        },
    }
    for per in results["brokers"].values():
        per["targets"] = targets(per)
    table = text_table(results)
    rows = [line for line in table.splitlines() if "adapter / baseline" in line]
    assert [row.split()[0] for row in rows] == ["apache", "tansu"]
    assert any(line.startswith("tansu") and "MISSED" in line for line in table.splitlines())
    assert "adapter at commit abc" in table
    md = markdown(results)
    assert md.startswith("| broker | run |")
    assert "| apache | adapter, NAV 100 ms late, 5,000 pre-loaded |" in md


def test_the_summary_has_a_column_per_broker() -> None:
    results = {
        "brokers": {"apache": broker_results(2400.0, 0.3, 6.0), "tansu": broker_results(1200.0, 0.5, 9.0)}
    }
    lines = summary(results).splitlines()
    assert lines[0] == "| target | apache | tansu |"
    cpu = next(line for line in lines if line.startswith("| CPU s per 1,000"))
    assert cpu.endswith("| 1.50 × met | 2.50 × **missed** |")
    assert "| +1.0 ms against bare's met | +4.0 ms against bare's **missed** |" in summary(results)


def test_results_of_a_single_broker_still_render() -> None:
    old = {"throughput": {"baseline": lookups(1.0, 0.1)}}
    assert list(per_broker(old)) == ["-"]
    assert "baseline, 20,000 pre-loaded" in text_table(old)


def test_brokers_in_a_fixed_order_and_a_configured_one_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert Options().broker_list() == ["apache", "tansu"]
    assert Options(brokers="tansu, apache").broker_list() == ["apache", "tansu"]
    with pytest.raises(ValueError, match="unknown broker"):
        Options(brokers="redpanda").broker_list()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    assert Options().broker_list() == ["configured"]


def test_the_command_line_takes_brokers_slow_nav_and_a_fixed_rate() -> None:
    args = ["--brokers", "tansu", "--mode", "slow-nav", "--slow-nav-ms", "50"]
    opts = Options(**vars(parser().parse_args(args)))
    assert (opts.brokers, opts.mode, opts.slow_nav_ms, opts.rate) == ("tansu", "slow-nav", 50, 100.0)
