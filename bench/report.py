"""Figures from the raw measurements, the targets, the tables, and where a profiled process's time went.

`python -m bench.report [--markdown | --summary] [bench-results/latest.json]` prints the tables of a
finished run (`--summary`: the targets alone, a column per broker);
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

CPU_RATIO_TARGET = 2.0
"""The adapter's CPU s per 1,000 lookups at most this times the bare pipeline's."""
THROUGHPUT_RATIO_TARGET = 0.5
THROUGHPUT_RATIO_AIM = 0.85
BRIDGE_RATIO_TARGET = 0.85
ADDED_P99_MARGIN_MS = 3.0
"""At the fixed rate the adapter's p99 added over the sandbox at most the bare pipeline's plus this."""
SLOW_NAV_SHARE = 0.9
"""With NAV slow, the adapter's lookups/s at least this share of what bounds it (`slow_nav_bound`)."""
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
    ("logging (JSON lines)", ("/logging/", "adapter/observability/logs.py")),
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


def _target(target: str, value: Any, met: bool, detail: str = "", aim: bool = False) -> Result:
    """One target line; an `aim` (beyond a target) is reported but missing it is no miss."""
    return {"target": target, "value": value, "met": met, "detail": detail, "aim": aim}


def missed(targets: dict[str, Result]) -> bool:
    return any(not t["met"] for t in targets.values() if not t.get("aim"))


def bridge_target(bridge: Result) -> Result:
    """The bridge's events/s against its bare loop's, from a bridge phase's results."""
    ratio, least = bridge["ratio"]["events_per_s"], BRIDGE_RATIO_TARGET
    rates = f"{figure(bridge['bridge']['events_per_s'])} against {figure(bridge['bare']['events_per_s'])}/s"
    return _target(f"bridge events/s >= {least} x bare loop", round(ratio, 3), ratio >= least, rates)


def slow_nav_bound(slow: Result, cpu_bound_rate: float | None) -> tuple[float, str]:
    """What the adapter can reach with NAV answering late: its in-flight limit over NAV's time, or
    its CPU-bound rate (the saturated run's), whichever is lower; and which one that is."""
    in_flight_rate = slow["max_in_flight"] / (slow["nav_latency_ms"] / 1000)
    if cpu_bound_rate is None or math.isnan(cpu_bound_rate) or in_flight_rate <= cpu_bound_rate:
        return (
            in_flight_rate,
            f"in-flight limit ({slow['max_in_flight']} / {slow['nav_latency_ms'] / 1000:g} s)",
        )
    return cpu_bound_rate, "CPU-bound rate (the saturated run's)"


def slow_nav_target(slow: Result, cpu_bound_rate: float | None) -> Result:
    bound, which = slow_nav_bound(slow, cpu_bound_rate)
    rate, share = slow["lookups_per_s"], SLOW_NAV_SHARE
    detail = f"{figure(rate)}/s against a bound of {figure(bound)}/s: the {which}"
    if bare := slow.get("baseline"):
        bare_rate = bare["lookups_per_s"]
        detail += f"; bare pipeline {figure(bare_rate)}/s, adapter / bare {ratio(rate, bare_rate):.2f}"
    target = f"lookups/s with NAV {slow['nav_latency_ms']} ms late >= {share} x bound"
    return _target(target, round(ratio(rate, bound), 3), rate >= share * bound, detail)


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def targets(results: Result) -> dict[str, Result]:
    """The targets of one broker's results."""
    out: dict[str, Result] = {}
    tp, fixed = results.get("throughput", {}), results.get("fixed_rate", {})
    adapter, baseline = tp.get("adapter"), tp.get("baseline")
    if "ratio" in tp and adapter and baseline:
        rates = f"{figure(adapter['lookups_per_s'])} against {figure(baseline['lookups_per_s'])}/s"
        r = tp["ratio"]["lookups_per_s"]
        least, aim = THROUGHPUT_RATIO_TARGET, THROUGHPUT_RATIO_AIM
        out["throughput_ratio"] = _target(f"lookups/s >= {least} x bare", round(r, 3), r >= least, rates)
        out["throughput_aim"] = _target(
            f"lookups/s >= {aim} x bare (aim)", round(r, 3), r >= aim, rates, True
        )
        cpu, most = tp["ratio"]["cpu_s_per_1000"], CPU_RATIO_TARGET
        cpus = f"{adapter['cpu_s_per_1000']:.2f} against {baseline['cpu_s_per_1000']:.2f} CPU s/1k"
        out["cpu_ratio"] = _target(f"CPU s per 1,000 <= {most} x bare", round(cpu, 3), cpu <= most, cpus)
    if "adapter_added_p99_ms" in fixed and "baseline_added_p99_ms" in fixed:
        added, bare = fixed["adapter_added_p99_ms"], fixed["baseline_added_p99_ms"]
        target = f"p99 added at {fixed['rate']:.0f}/s <= bare's + {ADDED_P99_MARGIN_MS:g} ms"
        detail = f"adapter adds {added:.1f} ms, bare {bare:.1f} ms, over the sandbox's own p99"
        out["added_p99_ms"] = _target(
            target, round(added - bare, 2), added <= bare + ADDED_P99_MARGIN_MS, detail
        )
    if slow := results.get("slow_nav"):
        out["slow_nav"] = slow_nav_target(slow, adapter["lookups_per_s"] if adapter else None)
    if adapter:
        rss, target = (
            adapter["peak_rss_mb"],
            f"peak RSS <= {PEAK_RSS_TARGET_MB:.0f} MB at {adapter['requests']:,}",
        )
        out["peak_rss_mb"] = _target(target, round(rss, 1), rss <= PEAK_RSS_TARGET_MB, f"{rss:.0f} MB")
    runs = (adapter, *results.get("transport", {}).values(), fixed.get("adapter"), results.get("slow_nav"))
    if checks := [run["tokens"] for run in runs if isinstance(run, dict) and "tokens" in run]:
        counts = sorted({n for c in checks for n in c["fetches"].values()})
        scopes = max(len(c["fetches"]) for c in checks)
        value = f"{counts} per scope ({scopes} scopes, {len(checks)} adapter runs)"
        met = all(c["as_expected"] for c in checks)
        out["token_fetches"] = _target("one token fetch per scope per token lifetime", value, met, value)
    if "ratio" in results.get("bridge", {}):
        out["bridge_ratio"] = bridge_target(results["bridge"])
    return out


def per_broker(results: Result) -> dict[str, Result]:
    """Each broker's results; a run written before there were several is one of an unnamed broker."""
    brokers: dict[str, Result] = results.get("brokers") or {"-": results}
    return brokers


def figure(value: Any, digits: int = 0) -> str:
    """A figure for a table or a progress line; "-" for NaN or none."""
    if isinstance(value, float | int) and not (isinstance(value, float) and math.isnan(value)):
        return f"{value:,.{digits}f}"
    return "-"


def _ms(value: Any) -> str:
    return figure(value, 1 if isinstance(value, float | int) and value < 100 else 0)


def _lookup_rows(results: Result) -> Table:
    head = ["broker", "run", "lookups/s", "p50 ms", "p95 ms", "p99 ms", "peak RSS MB", "CPU s/1k"]
    head.append("token fetches")
    rows: list[list[str]] = []

    def add(broker: str, name: str, run: Result) -> None:
        lat = run.get("latency_ms", {})
        fetches = run.get("tokens", {}).get("fetches", run.get("token_fetches", {}))
        figures = [figure(run.get("lookups_per_s")), *(_ms(lat.get(q)) for q in ("p50", "p95", "p99"))]
        figures += [figure(run.get("peak_rss_mb")), figure(run.get("cpu_s_per_1000"), 2)]
        tokens = f"{sum(fetches.values())} ({len(fetches)} scopes)" if fetches else "-"
        rows.append([broker, name, *figures, tokens])

    for broker, per in per_broker(results).items():
        tp = per.get("throughput", {})
        for kind in ("baseline", "adapter"):
            if kind in tp:
                add(broker, f"{kind}, {tp[kind]['requests']:,} pre-loaded", tp[kind])
        if r := tp.get("ratio"):
            ratios = [figure(r["peak_rss_mb"], 2), figure(r["cpu_s_per_1000"], 2)]
            rows.append([broker, "adapter / baseline", figure(r["lookups_per_s"], 2), *[""] * 3, *ratios, ""])
        for transport, run in per.get("transport", {}).items():
            add(broker, f"adapter, {transport}, {run['requests']:,}", run)
        fixed = per.get("fixed_rate", {})
        for kind, name in (
            ("direct", "sandbox direct (HTTP)"),
            ("baseline", "baseline"),
            ("adapter", "adapter"),
        ):
            if kind in fixed:
                add(broker, f"{name} at {fixed['rate']:.0f}/s", fixed[kind])
        if slow := per.get("slow_nav"):
            late = f"NAV {slow['nav_latency_ms']} ms late, {slow['requests']:,} pre-loaded"
            if bare := slow.get("baseline"):
                add(broker, f"baseline, {late}", bare)
            add(broker, f"adapter, {late}", slow)
    return head, rows


def _bridge_rows(results: Result) -> Table:
    """The bridge phase's table; no rows for a run without one (older results among them)."""
    head = ["broker", "bridge run", "events/s", "events", "missing", "duplicated", "out of order"]
    head += ["peak RSS MB", "CPU s/1k", "CPU busy"]
    rows = []
    for broker, per in per_broker(results).items():
        bridge = per.get("bridge", {})
        for kind, name in (("bare", "bare loop (aiohttp + aiokafka)"), ("bridge", "bridge (run_bridge)")):
            if run := bridge.get(kind):
                keys = ("events_per_s", "distinct", "missing", "duplicated", "out_of_order", "peak_rss_mb")
                cells = [
                    f"{name}, {run['feed']}, pages of {run['page_size']}",
                    *(figure(run[k]) for k in keys),
                ]
                busy = figure(run["cpu_utilisation"] * 100) + " %"
                rows.append([broker, *cells, figure(run["cpu_s_per_1000"], 2), busy])
        if r := bridge.get("ratio"):
            ratios = [figure(r["peak_rss_mb"], 2), figure(r["cpu_s_per_1000"], 2)]
            rows.append([broker, "bridge / bare loop", figure(r["events_per_s"], 2), *[""] * 4, *ratios, ""])
    return head, rows


def _target_rows(results: Result) -> Table:
    """Every target of every broker: what it asks, the figure, the figures it comes from."""
    head, rows = ["broker", "target", "measured", "", "from"], []
    for broker, per in per_broker(results).items():
        for t in (per.get("targets") or targets(per)).values():
            verdict = "met" if t["met"] else ("not yet" if t.get("aim") else "MISSED")
            rows.append([broker, t["target"], str(t["value"]), verdict, t.get("detail", "")])
    return head, rows


def tables(results: Result) -> list[Table]:
    return [t for t in (_lookup_rows(results), _bridge_rows(results), _target_rows(results)) if t[1]]


def text_table(results: Result) -> str:
    out = []
    for head, rows in tables(results):
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        numeric = head[1] != "target"  # figures right-aligned; the targets' table is words
        lines = [
            "  ".join(
                c.rjust(w) if numeric and i > 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in [head, *rows]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        out.append("\n".join(line.rstrip() for line in lines) + "\n")
    return "\n".join(out) + _footer(results)


def markdown(results: Result) -> str:
    """The same tables as Markdown, for docs/benchmark.md, and the machine and commit below them."""
    out = []
    for head, rows in tables(results):
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        out.append("\n".join(lines) + "\n")
    return "\n".join(out) + "\n" + _machine(results)


def _short(name: str, value: Any) -> str:
    """A target's figure with its unit, for the summary."""
    if name == "added_p99_ms":
        return f"{value:+.1f} ms against bare's"
    if name == "peak_rss_mb":
        return f"{value:.0f} MB"
    if name == "token_fetches":
        return f"{str(value).split()[0]} per scope"
    return f"{value:.2f} ×"


def summary(results: Result) -> str:
    """The targets as one Markdown table, a column per broker (the README's)."""
    brokers = per_broker(results)
    per = {b: r.get("targets") or targets(r) for b, r in brokers.items()}
    names = list(dict.fromkeys(name for t in per.values() for name in t))
    lines = ["| target | " + " | ".join(brokers) + " |", "|" + "---|" * (len(brokers) + 1)]
    for name in names:
        first = next(t[name] for t in per.values() if name in t)
        cells = []
        for t in per.values():
            if (got := t.get(name)) is None:
                cells.append("-")
                continue
            verdict = "met" if got["met"] else ("not yet" if got.get("aim") else "**missed**")
            bound = " (CPU bound)" if "CPU" in got["detail"] else " (in-flight bound)"
            cells.append(f"{_short(name, got['value'])}{bound if name == 'slow_nav' else ''} {verdict}")
        lines.append(f"| {first['target']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _footer(results: Result) -> str:
    lines = []
    brokers = per_broker(results)
    if any("throughput" in per for per in brokers.values()):
        lines.append(
            "(pre-loaded runs: latency from the request's produce time includes the wait in the backlog; "
            "the fixed-rate runs give latency proper)"
        )
    if any("bridge" in per for per in brokers.values()):
        lines.append(
            "(bridge runs: events/s from the first record's publish time to the last; CPU from the "
            "first record on)"
        )
    for broker, per in brokers.items():
        bridge = per.get("bridge", {})
        for kind in ("bare", "bridge"):
            run = bridge.get(kind)
            if run and not (
                run["complete"] and run["missing"] == run["duplicated"] == run["out_of_order"] == 0
            ):
                lines.append(
                    f"{broker}, bridge phase, {kind}: NOT every event once and in order (see {run['log']})"
                )
        for what, profile in (("adapter", per.get("profile")), ("bridge", bridge.get("profile"))):
            if profile:
                lines.append(f"{broker}, {what} profile: {profile['path']}")
    return "\n".join(lines) + "\n" + _machine(results)


def _machine(results: Result) -> str:
    lines = []
    if m := results.get("machine", {}):
        lines.append(
            f"machine: {m.get('nproc')} cores, {m.get('cpu_model')}, Python {m.get('python')}, "
            f"load average at start {m.get('loadavg')}"
            + (f", at end {m['loadavg_end']}" if m.get("loadavg_end") else "")
        )
        if git := m.get("git") or {}:
            dirty = [p for p in git.get("uncommitted", []) if p.startswith("adapter/")]
            edits = f" plus edits to {', '.join(dirty)}" if dirty else ""
            lines.append(f"adapter at commit {git.get('commit')}{edits}")
    return "\n".join(lines) + "\n" if lines else ""


def main(argv: list[str]) -> int:
    paths = [a for a in argv if not a.startswith("--")]
    path = Path(paths[0] if paths else "bench-results/latest.json")
    if path.suffix == ".pyisession":
        from pyinstrument.session import Session

        print(render(breakdown(Session.load(str(path)))), end="")
        return 0
    results = orjson.loads(path.read_bytes())
    for per in per_broker(results).values():
        per["targets"] = targets(per)
    if "--summary" in argv:
        print(summary(results), end="")
    else:
        print(markdown(results) if "--markdown" in argv else text_table(results), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
