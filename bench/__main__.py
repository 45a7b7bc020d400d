"""`python -m bench`: see `bench/__init__.py` and docs/benchmark.md."""

import argparse
import asyncio
import dataclasses
import sys
import time
import typing

import orjson

from bench import report
from bench.bridge import run_bridge_phase
from bench.harness import Options, Result, describe, load_average, say, stack
from bench.lookups import run_lookups_phase

HELP = {
    "requests": "pre-loaded requests",
    "max_in_flight": "both pipelines",
    "transport_requests": "requests of the shorter runs: the aiohttp/httpx comparison (on the first "
    "broker; 0: skip it), slow NAV, the profile",
    "brokers": "comma-separated, run one after the other: apache (.cache/kafka), tansu (embedded); "
    "KAFKA_BOOTSTRAP_SERVERS, if set, is used alone",
    "rate": "the fixed-rate runs' lookups/s (0: half the adapter's measured maximum)",
    "slow_nav_ms": "the sandbox's delay on every NAV call in the slow-NAV run",
    "profile": "pyinstrument profile of the adapter and the bridge: when a target is missed (auto)",
    "log_level": "the adapter's and the bridge's log level",
    "fetch_max_wait_ms": "consumers' fetch_max_wait_ms in both pipelines (0: their own defaults); Tansu, "
    "the embedded broker, answers a waiting fetch only after it, so it bounds the Kafka hop's latency",
    "bridge_events": "events on the sandbox feed for the bridge phase (bridge against a bare feed loop)",
}


async def run(opts: Options) -> Result:
    """Per broker, on a stack of its own: the lookups' phases, then the bridge's (its profile is its
    own, whatever their targets)."""
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results: Result = {"machine": describe(), "options": dataclasses.asdict(opts), "started": started}
    brokers = results["brokers"] = {}
    for i, broker in enumerate(opts.broker_list()):
        per: Result = {"broker": broker}
        async with stack(opts.output.parent / "logs" / broker, broker) as st:
            where = f"sandbox {st.where.sandbox_url}, run {st.run_id}, logs in {st.logs}"
            say(f"=== {broker}: Kafka {st.where.bootstrap}, {where}")
            if opts.mode != "bridge":
                await run_lookups_phase(st, opts, per, compare_transports=i == 0)
            if opts.mode in ("all", "bridge"):
                per["bridge"] = await run_bridge_phase(st, opts)
        per["targets"] = report.targets(per)
        brokers[broker] = per
    # What else ran on the machine moves the figures: its load at the end too, besides the start's.
    results["machine"]["loadavg_end"] = load_average()
    return results


def parser() -> argparse.ArgumentParser:
    """One option per field of `Options`, its default and type from there."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    hints = typing.get_type_hints(Options)
    for field in dataclasses.fields(Options):
        flags = ["-n"] if field.name == "requests" else []
        flags.append("--" + field.name.replace("_", "-"))
        if typing.get_origin(hints[field.name]) is typing.Literal:
            choices = typing.get_args(hints[field.name])
            p.add_argument(*flags, choices=choices, default=field.default, help=HELP.get(field.name))
        else:
            kind = float if field.name == "rate" else type(field.default)
            p.add_argument(*flags, type=kind, default=field.default, help=HELP.get(field.name))
    return p


def main(argv: list[str]) -> int:
    opts = Options(**vars(parser().parse_args(argv)))
    results = asyncio.run(run(opts))
    opts.output.parent.mkdir(parents=True, exist_ok=True)
    opts.output.write_bytes(orjson.dumps(results, default=str, option=orjson.OPT_INDENT_2))  # str: the Path
    print(f"\n{report.text_table(results)}\nwritten: {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
