"""`python -m bench`: see `bench/__init__.py` and README.md's "Benchmark"."""

import argparse
import asyncio
import sys
from pathlib import Path

from bench import report
from bench.adapter_proc import VARIANTS
from bench.bridge_proc import VARIANTS as BRIDGE_VARIANTS
from bench.run import Options, run, write


def main(argv: list[str]) -> int:
    defaults = Options()
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--mode", choices=["all", "throughput", "fixed-rate", "bridge"], default=defaults.mode)
    p.add_argument("-n", "--requests", type=int, default=defaults.requests, help="pre-loaded requests")
    p.add_argument("--partitions", type=int, default=defaults.partitions)
    p.add_argument("--max-in-flight", type=int, default=defaults.max_in_flight, help="both pipelines")
    p.add_argument(
        "--transport-requests",
        type=int,
        default=defaults.transport_requests,
        help="requests per run of the aiohttp/httpx comparison (0: skip it)",
    )
    p.add_argument("--fixed-seconds", type=float, default=defaults.fixed_seconds)
    p.add_argument("--rate", type=float, help="fixed rate (default: half the adapter's measured maximum)")
    p.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default=defaults.profile,
        help="pyinstrument profile of the adapter: when a target is missed (auto)",
    )
    p.add_argument("--log-level", default=defaults.log_level, help="the adapter's log level")
    p.add_argument(
        "--fetch-max-wait-ms",
        type=int,
        default=defaults.fetch_max_wait_ms,
        help="consumers' fetch_max_wait_ms in both pipelines (0: their own defaults); Tansu, the "
        "embedded broker, answers a waiting fetch only after it, so it bounds the Kafka hop's latency",
    )
    p.add_argument(
        "--what-if",
        action="append",
        default=[],
        metavar="VARIANT[+VARIANT]",
        help="also run the adapter with these experiments applied in its process, one of "
        f"{', '.join(sorted(VARIANTS))} (see bench/adapter_proc.py); may be repeated",
    )
    p.add_argument(
        "--bridge-events",
        type=int,
        default=defaults.bridge_events,
        help="events on the sandbox feed for the bridge phase (bridge against a bare feed loop)",
    )
    p.add_argument(
        "--bridge-what-if",
        action="append",
        default=[],
        metavar="VARIANT[+VARIANT]",
        help="also run the bridge with these experiments applied in its process, one of "
        f"{', '.join(sorted(BRIDGE_VARIANTS))} (see bench/bridge_proc.py); may be repeated",
    )
    p.add_argument("--output", type=Path, default=defaults.output)
    args = p.parse_args(argv)
    for what_if in args.what_if:
        if unknown := [v for v in what_if.split("+") if v not in VARIANTS]:
            p.error(f"unknown --what-if variant(s): {', '.join(unknown)}")
    for what_if in args.bridge_what_if:
        if unknown := [v for v in what_if.split("+") if v not in BRIDGE_VARIANTS]:
            p.error(f"unknown --bridge-what-if variant(s): {', '.join(unknown)}")
    opts = Options(
        mode=args.mode,
        requests=args.requests,
        partitions=args.partitions,
        max_in_flight=args.max_in_flight,
        transport_requests=args.transport_requests,
        fixed_seconds=args.fixed_seconds,
        rate=args.rate,
        profile=args.profile,
        log_level=args.log_level,
        fetch_max_wait_ms=args.fetch_max_wait_ms,
        what_if=tuple(args.what_if),
        output=args.output,
        bridge_events=args.bridge_events,
        bridge_what_if=tuple(args.bridge_what_if),
    )
    results = asyncio.run(run(opts))
    write(results, opts.output)
    print()
    print(report.text_table(results), end="")
    print(f"\nwritten: {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
