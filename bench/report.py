"""Figures from the raw measurements, the targets, the tables, and where a profiled process's time went.

`python -m bench.report [bench-results/latest.json]` prints the table of a finished run;
`python -m bench.report bench-results/adapter-profile.pyisession` a profile's breakdown.
"""

import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from pyinstrument.session import Session

THROUGHPUT_RATIO_TARGET = 0.85
BRIDGE_RATIO_TARGET = 0.85
ADDED_P99_TARGET_MS = 5.0
PEAK_RSS_TARGET_MB = 200.0

Result = dict[str, Any]
Table = tuple[list[str], list[list[str]]]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    return float(sorted_values[max(1, math.ceil(q / 100 * len(sorted_values))) - 1])


def latency_summary(values: Iterable[float]) -> dict[str, float]:
    ordered = sorted(values)
    summary = {f"p{q}": percentile(ordered, q) for q in (50, 95, 99)}
    return summary | {"max": float(ordered[-1]) if ordered else math.nan, "count": float(len(ordered))}


def steady_rate(timestamps_ms: Sequence[int]) -> tuple[float, float]:
    """(records/s, seconds) from the first output record to the last: start-up not counted."""
    if len(timestamps_ms) < 2:
        return math.nan, math.nan
    seconds = (max(timestamps_ms) - min(timestamps_ms)) / 1000
    return (len(timestamps_ms) - 1) / seconds if seconds > 0 else math.nan, seconds


IDLE = "idle (waiting in epoll)"
OTHER = "asyncio and the standard library"
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("httpx API and its aiohttp transport shim", ("/httpx_aiohttp/", "/httpx/")),
    ("aiohttp (the HTTP to NAV itself)", ("/aiohttp/", "/yarl/", "/multidict/")),
    ("aiokafka producer (replies, audit; events, checkpoints)", ("/aiokafka/producer/", "/aiokafka/record/")),
    ("aiokafka fetcher, protocol, connections", ("/aiokafka/",)),
    ("FastStream per-message pipeline", ("/faststream/", "/fast_depends/", "/anyio/")),
    ("logging (JSON lines)", ("/pythonjsonlogger/", "/logging/", "adapter/observability/logs.py")),
    ("OpenTelemetry", ("/opentelemetry/",)),
    ("Prometheus metrics", ("/prometheus_client/",)),
    ("pydantic validation and serialisation", ("/pydantic", "contracts/")),
    ("Maskinporten grants (RSA)", ("/jwt/", "/cryptography/")),
    ("health server", ("/uvicorn/", "/starlette/")),
    ("the bridge's own code (with the C calls it makes)", ("adapter/bridge/",)),
    ("the adapter's own code (with the C calls it makes)", ("adapter/",)),
)
"""Profile buckets of the lookups and the bridge alike, in order: a frame's first match wins."""


def category(stack: list[str]) -> str:
    """The innermost frame that is not plumbing (asyncio, the stdlib) gets the sample: time in
    aiohttp called from httpx is aiohttp's, httpx's own bookkeeping is httpx's."""
    if stack and stack[-1].startswith("epoll.poll"):
        return IDLE
    for frame in reversed(stack):
        path = frame.split("\x00")[1] if "\x00" in frame else ""
        if name := next((n for n, markers in CATEGORIES if any(m in path for m in markers)), None):
            return name
    return OTHER


def breakdown(session: "Session") -> list[tuple[str, float, float]]:
    """(component, seconds, share of the busy time), largest first; idle last, share of the total."""
    seconds: defaultdict[str, float] = defaultdict(float)
    for stack, time in session.frame_records:
        seconds[category(stack)] += time
    idle = seconds.pop(IDLE, 0.0)
    busy = sum(seconds.values()) or 1.0
    rows = [(name, s, s / busy) for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])]
    return [*rows, (IDLE, idle, idle / (busy + idle))]


def render(rows: list[tuple[str, float, float]]) -> str:
    lines = [f"{'component':<56} {'seconds':>8} {'share':>6}"]
    lines += [f"{name:<56} {s:8.2f} {share:6.0%}" for name, s, share in rows]
    return "\n".join(lines) + "\n(share: of the busy time; for idle: of the whole run)\n"


def _target(target: str, value: Any, met: bool) -> Result:
    return {"target": target, "value": value, "met": met}


def bridge_target(bridge: Result) -> Result:
    """The bridge's events/s against its bare loop's, from a bridge phase's results."""
    ratio, least = bridge["ratio"]["events_per_s"], BRIDGE_RATIO_TARGET
    return _target(f"bridge events/s >= {least} x bare loop", round(ratio, 3), ratio >= least)


def targets(results: Result) -> dict[str, Result]:
    out: dict[str, Result] = {}
    tp, fixed = results.get("throughput", {}), results.get("fixed_rate", {})
    if "ratio" in tp:
        ratio, least = tp["ratio"]["lookups_per_s"], THROUGHPUT_RATIO_TARGET
        out["throughput_ratio"] = _target(f">= {least}", round(ratio, 3), ratio >= least)
    if adapter := tp.get("adapter"):
        rss, target = adapter["peak_rss_mb"], f"<= {PEAK_RSS_TARGET_MB:.0f} at {adapter['requests']} requests"
        out["peak_rss_mb"] = _target(target, round(rss, 1), rss <= PEAK_RSS_TARGET_MB)
    runs = (adapter, *results.get("transport", {}).values(), fixed.get("adapter"))
    if checks := [run["tokens"] for run in runs if isinstance(run, dict) and "tokens" in run]:
        counts = sorted({n for c in checks for n in c["fetches"].values()})
        scopes = max(len(c["fetches"]) for c in checks)
        value = f"{counts} per scope ({scopes} scopes, {len(checks)} adapter runs)"
        met = all(c["as_expected"] for c in checks)
        out["token_fetches"] = _target("one per scope per token lifetime", value, met)
    if "adapter_added_p99_ms" in fixed:
        added, target = fixed["adapter_added_p99_ms"], f"<= {ADDED_P99_TARGET_MS} at {fixed['rate']:.0f}/s"
        out["added_p99_ms"] = _target(target, round(added, 2), added <= ADDED_P99_TARGET_MS)
    if "ratio" in results.get("bridge", {}):
        out["bridge_ratio"] = bridge_target(results["bridge"])
    return out


def figure(value: Any, digits: int = 0) -> str:
    """A figure for a table or a progress line; "-" for NaN or none."""
    if isinstance(value, float | int) and not (isinstance(value, float) and math.isnan(value)):
        return f"{value:,.{digits}f}"
    return "-"


def _ms(value: Any) -> str:
    return figure(value, 1 if isinstance(value, float | int) and value < 100 else 0)


def _lookup_rows(results: Result) -> Table:
    head = ["run", "lookups/s", "p50 ms", "p95 ms", "p99 ms", "peak RSS MB", "CPU s/1k", "token fetches"]
    rows: list[list[str]] = []

    def add(name: str, run: Result) -> None:
        lat = run.get("latency_ms", {})
        fetches = run.get("tokens", {}).get("fetches", run.get("token_fetches", {}))
        figures = [figure(run.get("lookups_per_s")), *(_ms(lat.get(q)) for q in ("p50", "p95", "p99"))]
        figures += [figure(run.get("peak_rss_mb")), figure(run.get("cpu_s_per_1000"), 2)]
        rows.append([name, *figures, f"{sum(fetches.values())} ({len(fetches)} scopes)" if fetches else "-"])

    tp = results.get("throughput", {})
    for kind in ("baseline", "adapter"):
        if kind in tp:
            add(f"{kind}, {tp[kind]['requests']:,} pre-loaded", tp[kind])
    if r := tp.get("ratio"):
        ratios = [figure(r["peak_rss_mb"], 2), figure(r["cpu_s_per_1000"], 2)]
        rows.append(["adapter / baseline", figure(r["lookups_per_s"], 2), *[""] * 3, *ratios, ""])
    for transport, run in results.get("transport", {}).items():
        add(f"adapter, {transport}, {run['requests']:,}", run)
    fixed = results.get("fixed_rate", {})
    for kind, name in (("direct", "sandbox direct (HTTP)"), ("baseline", "baseline"), ("adapter", "adapter")):
        if kind in fixed:
            add(f"{name} at {fixed['rate']:.0f}/s", fixed[kind])
    return head, rows


def _bridge_rows(results: Result) -> Table:
    """The bridge phase's table; no rows for a run without one (older results among them)."""
    head = ["bridge run", "events/s", "events", "missing", "duplicated", "out of order"]
    head += ["peak RSS MB", "CPU s/1k", "CPU busy"]
    bridge, rows = results.get("bridge", {}), []
    for kind, name in (("bare", "bare loop (aiohttp + aiokafka)"), ("bridge", "bridge (run_bridge)")):
        if run := bridge.get(kind):
            keys = ("events_per_s", "distinct", "missing", "duplicated", "out_of_order", "peak_rss_mb")
            cells = [f"{name}, {run['feed']}, pages of {run['page_size']}", *(figure(run[k]) for k in keys)]
            busy = figure(run["cpu_utilisation"] * 100) + " %"
            rows.append([*cells, figure(run["cpu_s_per_1000"], 2), busy])
    if r := bridge.get("ratio"):
        ratios = [figure(r["peak_rss_mb"], 2), figure(r["cpu_s_per_1000"], 2)]
        rows.append(["bridge / bare loop", figure(r["events_per_s"], 2), *[""] * 4, *ratios, ""])
    return head, rows


def text_table(results: Result) -> str:
    out = []
    for head, rows in (_lookup_rows(results), _bridge_rows(results)):
        if not rows:
            continue
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = [
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in [head, *rows]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        out.append("\n".join(lines) + "\n")
    return "\n".join(out) + _footer(results)


def _footer(results: Result) -> str:
    lines = []
    if "throughput" in results:
        lines.append(
            "(pre-loaded runs: latency from the request's produce time includes the wait in the backlog; "
            "the fixed-rate runs give latency proper)"
        )
    fixed, bridge = results.get("fixed_rate", {}), results.get("bridge", {})
    for kind in ("baseline", "adapter"):
        if (added := fixed.get(f"{kind}_added_p99_ms")) is not None:
            rate = fixed["rate"]
            lines.append(
                f"p99 added over the sandbox's own response time at {rate:.0f}/s, {kind}: {added:.1f} ms"
            )
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
    if m := results.get("machine", {}):
        lines.append(
            f"machine: {m.get('nproc')} cores, {m.get('cpu_model')}, Python {m.get('python')}, "
            f"load average at start {m.get('loadavg')}"
        )
        if git := m.get("git") or {}:
            dirty = [p for p in git.get("uncommitted", []) if p.startswith("adapter/")]
            edits = f" plus edits to {', '.join(dirty)}" if dirty else ""
            lines.append(f"adapter at commit {git.get('commit')}{edits}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "bench-results/latest.json")
    if path.suffix == ".pyisession":
        from pyinstrument.session import Session

        print(render(breakdown(Session.load(str(path)))), end="")
        return 0
    results = orjson.loads(path.read_bytes())
    results["targets"] = targets(results)
    print(text_table(results), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
