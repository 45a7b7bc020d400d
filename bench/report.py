"""Figures from the raw measurements, the targets, and the table (plain text and Markdown).

`python -m bench.report [bench-results/latest.json]` prints the table of a finished run.
"""

import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

THROUGHPUT_RATIO_TARGET = 0.85
BRIDGE_RATIO_TARGET = 0.85
ADDED_P99_TARGET_MS = 5.0
PEAK_RSS_TARGET_MB = 200.0

Result = dict[str, Any]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def latency_summary(values: Iterable[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": float(ordered[-1]) if ordered else math.nan,
        "count": float(len(ordered)),
    }


def steady_rate(reply_ts_ms: Sequence[int]) -> tuple[float, float]:
    """(lookups/s, seconds) from the first reply to the last: start-up (group join) not counted."""
    if len(reply_ts_ms) < 2:
        return math.nan, math.nan
    seconds = (max(reply_ts_ms) - min(reply_ts_ms)) / 1000
    return (len(reply_ts_ms) - 1) / seconds if seconds > 0 else math.nan, seconds


def bridge_target(bridge: Result) -> Result:
    """The bridge's events/s against its bare loop's, from a bridge phase's results."""
    ratio = bridge["ratio"]["events_per_s"]
    return {
        "target": f"bridge events/s >= {BRIDGE_RATIO_TARGET} x bare loop",
        "value": round(ratio, 3),
        "met": ratio >= BRIDGE_RATIO_TARGET,
    }


def targets(results: Result) -> dict[str, Result]:
    out: dict[str, Result] = {}
    tp = results.get("throughput", {})
    if "ratio" in tp:
        ratio = tp["ratio"]["lookups_per_s"]
        out["throughput_ratio"] = {
            "target": f">= {THROUGHPUT_RATIO_TARGET}",
            "value": round(ratio, 3),
            "met": ratio >= THROUGHPUT_RATIO_TARGET,
        }
    if "adapter" in tp:
        rss = tp["adapter"]["peak_rss_mb"]
        out["peak_rss_mb"] = {
            "target": f"<= {PEAK_RSS_TARGET_MB:.0f} at {tp['adapter']['requests']} requests",
            "value": round(rss, 1),
            "met": rss <= PEAK_RSS_TARGET_MB,
        }
    checks = [
        run["tokens"]
        for run in (
            tp.get("adapter"),
            *results.get("transport", {}).values(),
            results.get("fixed_rate", {}).get("adapter"),
        )
        if isinstance(run, dict) and "tokens" in run
    ]
    if checks:
        out["token_fetches"] = {
            "target": "one per scope per token lifetime",
            "value": f"{sorted({n for c in checks for n in c['fetches'].values()})} per scope "
            f"({max(len(c['fetches']) for c in checks)} scopes, {len(checks)} adapter runs)",
            "met": all(c["as_expected"] for c in checks),
        }
    fixed = results.get("fixed_rate", {})
    if "adapter_added_p99_ms" in fixed:
        added = fixed["adapter_added_p99_ms"]
        out["added_p99_ms"] = {
            "target": f"<= {ADDED_P99_TARGET_MS} at {fixed['rate']:.0f}/s",
            "value": round(added, 2),
            "met": added <= ADDED_P99_TARGET_MS,
        }
    if "ratio" in results.get("bridge", {}):
        out["bridge_ratio"] = bridge_target(results["bridge"])
    return out


def _ms(value: Any) -> str:
    return _f(value, 1 if isinstance(value, float | int) and value < 100 else 0)


def _what_ifs(runs: Result) -> list[str]:
    return [k for k in runs if k.startswith("what-if") and isinstance(runs[k], dict)]


def _f(value: Any, digits: int = 0) -> str:
    if isinstance(value, float | int) and not (isinstance(value, float) and math.isnan(value)):
        return f"{value:,.{digits}f}"
    return "-"


def _rows(results: Result) -> tuple[list[str], list[list[str]]]:
    head = ["run", "lookups/s", "p50 ms", "p95 ms", "p99 ms", "peak RSS MB", "CPU s/1k", "token fetches"]
    rows: list[list[str]] = []

    def add(name: str, run: Result) -> None:
        lat = run.get("latency_ms", {})
        fetches = run.get("tokens", {}).get("fetches", run.get("token_fetches", {}))
        rows.append(
            [
                name,
                _f(run.get("lookups_per_s")),
                _ms(lat.get("p50")),
                _ms(lat.get("p95")),
                _ms(lat.get("p99")),
                _f(run.get("peak_rss_mb")),
                _f(run.get("cpu_s_per_1000"), 2),
                str(sum(fetches.values())) + f" ({len(fetches)} scopes)" if fetches else "-",
            ]
        )

    tp = results.get("throughput", {})
    for kind in ("baseline", "adapter"):
        if kind in tp:
            add(f"{kind}, {tp[kind]['requests']:,} pre-loaded", tp[kind])
    for key, run in tp.items():
        if key.startswith("what-if"):
            add(f"{key} ({_f(run['lookups_per_s'] / tp['baseline']['lookups_per_s'], 2)}x baseline)", run)
    if "ratio" in tp:
        r = tp["ratio"]
        rows.append(
            [
                "adapter / baseline",
                _f(r["lookups_per_s"], 2),
                "",
                "",
                "",
                _f(r["peak_rss_mb"], 2),
                _f(r["cpu_s_per_1000"], 2),
                "",
            ]
        )
    for transport, run in results.get("transport", {}).items():
        add(f"adapter, {transport}, {run['requests']:,}", run)
    fixed = results.get("fixed_rate", {})
    for kind in ("direct", "baseline", "adapter", *_what_ifs(fixed)):
        if kind in fixed:
            name = "sandbox direct (HTTP)" if kind == "direct" else kind
            add(f"{name} at {fixed['rate']:.0f}/s", fixed[kind])
    return head, rows


def _bridge_row(name: str, run: Result) -> list[str]:
    figures = [run["events_per_s"], run["distinct"], run["missing"], run["duplicated"], run["out_of_order"]]
    return [
        name,
        *(_f(v) for v in figures),
        _f(run["peak_rss_mb"]),
        _f(run["cpu_s_per_1000"], 2),
        _f(run["cpu_utilisation"] * 100) + " %",
    ]


def _bridge_rows(results: Result) -> tuple[list[str], list[list[str]]]:
    """The bridge phase's table; no rows for a run without one (older results among them)."""
    head = ["bridge run", "events/s", "events", "missing", "duplicated", "out of order"]
    head += ["peak RSS MB", "CPU s/1k", "CPU busy"]
    bridge = results.get("bridge", {})
    rows: list[list[str]] = []
    names = {"bare": "bare loop (aiohttp + aiokafka)", "bridge": "bridge (run_bridge)"}
    for kind, name in names.items():
        if kind in bridge:
            run = bridge[kind]
            rows.append(_bridge_row(f"{name}, {run['feed']}, pages of {run['page_size']}", run))
    for key in _what_ifs(bridge):
        ratio = _f(bridge[key]["events_per_s"] / bridge["bare"]["events_per_s"], 2)
        rows.append(_bridge_row(f"{key} ({ratio}x bare loop)", bridge[key]))
    if "ratio" in bridge:
        r = bridge["ratio"]
        ratios = [_f(r["events_per_s"], 2), "", "", "", "", _f(r["peak_rss_mb"], 2)]
        rows.append(["bridge / bare loop", *ratios, _f(r["cpu_s_per_1000"], 2), ""])
    return head, rows


def _tables(results: Result) -> list[tuple[list[str], list[list[str]]]]:
    return [(head, rows) for head, rows in (_rows(results), _bridge_rows(results)) if rows]


def text_table(results: Result) -> str:
    out = []
    for head, rows in _tables(results):
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = [
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in [head, *rows]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        out.append("\n".join(lines) + "\n")
    return "\n".join(out) + _footer(results)


def markdown_table(results: Result) -> str:
    out = []
    for head, rows in _tables(results):
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        out.append("\n".join(lines) + "\n\n")
    return "".join(out) + _footer(results)


def _footer(results: Result) -> str:
    lines = []
    if "throughput" in results:
        lines.append(
            "(pre-loaded runs: latency from the request's produce time includes the wait in the backlog; "
            "the fixed-rate runs give latency proper)"
        )
    fixed = results.get("fixed_rate", {})
    for kind in ("baseline", "adapter", *_what_ifs(fixed)):
        if f"{kind}_added_p99_ms" in fixed:
            lines.append(
                f"p99 added over the sandbox's own response time at {fixed['rate']:.0f}/s, {kind}: "
                f"{fixed[f'{kind}_added_p99_ms']:.1f} ms"
            )
    bridge = results.get("bridge", {})
    if "bare" in bridge:
        lines.append(
            "(bridge runs: events/s from the first record's publish time to the last; CPU from the "
            "first record on)"
        )
    for kind in ("bare", "bridge"):
        run = bridge.get(kind)
        if run and not (run["complete"] and run["missing"] == run["duplicated"] == run["out_of_order"] == 0):
            lines.append(f"bridge phase, {kind}: NOT every event once and in order (see {run['log']})")
    if "profile" in bridge:
        lines.append(f"bridge profile: {bridge['profile']['path']}")
    for name, t in results.get("targets", {}).items():
        lines.append(f"target {name}: {t['value']} (target {t['target']}): {'met' if t['met'] else 'MISSED'}")
    m = results.get("machine", {})
    if m:
        lines.append(
            f"machine: {m.get('nproc')} cores, {m.get('cpu_model')}, Python {m.get('python')}, "
            f"load average at start {m.get('loadavg')}"
        )
        git = m.get("git") or {}
        if git:
            dirty = [p for p in git.get("uncommitted", []) if p.startswith("adapter/")]
            lines.append(
                f"adapter at commit {git.get('commit')}"
                + (f" plus edits to {', '.join(dirty)}" if dirty else "")
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "bench-results/latest.json")
    results = orjson.loads(path.read_bytes())
    results["targets"] = targets(results)
    print(text_table(results), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
