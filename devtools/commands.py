"""The development commands of `nav-adapter`, registered through the `nav_adapter.commands` entry
point: `dev`, `request` and `sandbox`."""

import argparse
import asyncio
import json
from pathlib import Path

from adapter.cli import read_settings, run_connected, stop_on_signals
from adapter.settings import KafkaSettings, LookupSettings
from contracts.operations import OPERATIONS


def _dev(args: argparse.Namespace, rest: list[str]) -> int:
    from devtools.dev import run_dev

    # A configured Kafka is used as it is; else the embedded broker is started.
    kafka = read_settings(KafkaSettings)

    async def main() -> None:
        await run_dev(
            kafka=kafka if kafka.bootstrap_servers else None,
            kafka_port=args.kafka_port,
            sandbox_port=args.sandbox_port,
            work_dir=Path(args.work_dir),
            stop=stop_on_signals(),
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
    reply = run_connected(
        kafka,
        lambda: request_reply(
            kafka,
            settings.request_topic_prefix + args.caller,
            settings.reply_topic,
            request,
            timeout=args.timeout,
        ),
    )
    print(json.dumps(reply, indent=2, ensure_ascii=False))
    return 0 if reply.get("status") == "ok" else 1


def _sandbox(args: argparse.Namespace, rest: list[str]) -> int:
    from nav_sandbox.cli import main as sandbox_main

    return sandbox_main(rest)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    dev = sub.add_parser("dev", help="embedded broker + NAV sandbox + adapter, and a first lookup")
    dev.add_argument("--kafka-port", type=int, default=19092)
    dev.add_argument("--sandbox-port", type=int, default=18080)
    dev.add_argument("--work-dir", default=".dev")
    dev.set_defaults(run=_dev)
    req = sub.add_parser("request", help="send one lookup and print its reply")
    req.add_argument("operation", choices=[op.name for op in OPERATIONS])
    req.add_argument("fields", nargs="*", help="name=value (JSON values allowed)")
    req.add_argument("--caller", default="dev")
    req.add_argument("--kafka-port", type=int, default=19092, help="the dev broker's port")
    req.add_argument("--timeout", type=float, default=30.0)
    req.set_defaults(run=_request)
    sandbox = sub.add_parser("sandbox", help="run the NAV sandbox (see nav-sandbox --help)", add_help=False)
    sandbox.set_defaults(run=_sandbox, takes_rest=True)
