"""The development commands of `nav-adapter`, registered through the `nav_adapter.commands` entry
point: `dev`, `broker`, `request` and `sandbox`."""

import argparse
import asyncio
import json
import sys
from pathlib import Path

from adapter.cli import read_settings, run_connected, stop_on_signals
from adapter.settings import KafkaSettings, LookupSettings
from nav_lookup_contracts.operations import OPERATIONS


def _dev(args: argparse.Namespace, rest: list[str]) -> int:
    from devtools.dev import run_dev

    # A configured Kafka is used as it is; else the embedded broker is started.
    kafka = read_settings(KafkaSettings)
    if args.print_env:
        from devtools.dev import print_env

        print_env(kafka, args.kafka_port, args.sandbox_port, Path(args.work_dir))
        return 0

    async def main() -> None:
        await run_dev(
            kafka=kafka if kafka.bootstrap_servers else None,
            kafka_port=args.kafka_port,
            sandbox_port=args.sandbox_port,
            work_dir=Path(args.work_dir),
            stop=stop_on_signals(),
            health_port=args.health_port,
        )

    asyncio.run(main())
    return 0


def _request(args: argparse.Namespace, rest: list[str]) -> int:
    from devtools.request_tool import build_request, parse_fields, request_reply

    kafka = read_settings(KafkaSettings)
    if not kafka.bootstrap_servers:
        kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{args.kafka_port}", broker_kind="tansu")
    settings = read_settings(LookupSettings)
    request = build_request(args.operation, parse_fields(args.fields))
    try:
        reply = run_connected(
            kafka,
            lambda: request_reply(
                kafka,
                settings.request_topic_prefix + args.caller,
                settings.reply_topic_of(args.caller),
                request,
                timeout=args.timeout,
            ),
        )
    except TimeoutError:
        print(
            f"no reply in {args.timeout:g} s: is `nav-adapter lookups` (or `dev`) running?", file=sys.stderr
        )
        return 2
    print(json.dumps(reply, indent=2, ensure_ascii=False))
    return 0 if reply.get("status") == "ok" else 1


async def _create_dev_topics(kafka: KafkaSettings) -> None:
    """The `dev` caller's request topic and the adapter's own, as `nav-adapter dev` makes them:
    `nav-adapter lookups` subscribes to topics that exist when it starts."""
    from adapter.kafka.topics import ensure_topics
    from devtools.dev import DEV_CALLER

    settings = LookupSettings(callers={DEV_CALLER: frozenset(op.scope for op in OPERATIONS)})
    await ensure_topics(kafka, [*settings.request_topics(), *settings.output_topics()])


def _broker(args: argparse.Namespace, rest: list[str]) -> int:
    """The embedded broker alone, for `nav-adapter lookups` and `nav-adapter bridge` run by hand."""
    import signal
    import threading

    from devtools.embedded_broker import EmbeddedBroker

    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    with EmbeddedBroker(port=args.port) as broker:
        asyncio.run(_create_dev_topics(broker.settings()))
        print(f"Kafka  {broker.bootstrap_servers}  (embedded Tansu broker, memory storage)")
        print("In the shells of the other processes:")
        print(f"  export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers} KAFKA_BROKER_KIND=tansu")
        print("Ctrl-C stops it.", flush=True)
        stopped.wait()
    return 0


def _sandbox(args: argparse.Namespace, rest: list[str]) -> int:
    from nav_sandbox.cli import main as sandbox_main

    return sandbox_main(rest)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    dev = sub.add_parser("dev", help="embedded broker + NAV sandbox + adapter, and a first lookup")
    dev.add_argument("--kafka-port", type=int, default=19092)
    dev.add_argument("--sandbox-port", type=int, default=18080)
    dev.add_argument("--health-port", type=int, default=18081, help="the adapter's health and metrics")
    dev.add_argument("--work-dir", default=".dev", help="where the development keys are written")
    dev.add_argument(
        "--print-env",
        action="store_true",
        help="print, as shell exports, the settings that connect `lookups` and `bridge` to "
        "`nav-adapter broker` and `nav-adapter sandbox`, and exit",
    )
    dev.set_defaults(run=_dev)
    broker = sub.add_parser("broker", help="the embedded Kafka broker alone (Tansu, memory storage)")
    broker.add_argument("--port", type=int, default=19092)
    broker.set_defaults(run=_broker)
    req = sub.add_parser("request", help="send one lookup and print its reply")
    req.add_argument("operation", choices=[op.name for op in OPERATIONS])
    req.add_argument("fields", nargs="*", help="name=value (JSON values allowed)")
    req.add_argument("--caller", default="dev")
    req.add_argument("--kafka-port", type=int, default=19092, help="the dev broker's port")
    req.add_argument("--timeout", type=float, default=30.0)
    req.set_defaults(run=_request)
    sandbox = sub.add_parser("sandbox", help="run the NAV sandbox (see nav-sandbox --help)", add_help=False)
    sandbox.set_defaults(run=_sandbox, takes_rest=True)
