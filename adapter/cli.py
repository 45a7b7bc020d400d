"""`nav-adapter`: one entry point for running and operating the adapter."""

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from adapter.logs import configure_logging
from adapter.settings import LogSettings, Settings


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


S = TypeVar("S", bound=BaseSettings)


def _settings(kind: type[S]) -> S:
    try:
        return kind()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise SystemExit(f"invalid configuration: {problems}") from None


async def _lookups() -> None:
    from adapter.app import run_lookups

    await run_lookups(_settings(Settings), _stop_on_signals())


async def _dev(args: argparse.Namespace) -> None:
    from adapter.dev import run_dev

    settings = _settings(Settings)
    bootstrap = (
        settings.kafka_bootstrap_servers if "kafka_bootstrap_servers" in settings.model_fields_set else None
    )
    await run_dev(
        bootstrap=bootstrap,
        kafka_port=args.kafka_port,
        sandbox_port=args.sandbox_port,
        work_dir=Path(args.work_dir),
        stop=_stop_on_signals(),
    )


async def _request(args: argparse.Namespace) -> int:
    from adapter.request_tool import build_request, parse_fields, request_reply

    settings = _settings(Settings)
    bootstrap = (
        settings.kafka_bootstrap_servers
        if "kafka_bootstrap_servers" in settings.model_fields_set
        else f"127.0.0.1:{args.kafka_port}"
    )
    request = build_request(args.operation, parse_fields(args.fields))
    reply = await request_reply(
        bootstrap,
        settings.request_topic_prefix + args.caller,
        settings.reply_topic,
        request,
        timeout=args.timeout,
    )
    print(json.dumps(reply, indent=2, ensure_ascii=False))
    return 0 if reply.get("status") == "ok" else 1


def _docs() -> int:
    from adapter.asyncapi import asyncapi_document
    from contracts.docs import with_feeds_table, with_operations_table
    from contracts.schema import all_schemas

    schemas = Path("contracts/schemas")
    schemas.mkdir(parents=True, exist_ok=True)
    for name, schema in all_schemas().items():
        path = schemas / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        print(path)
    asyncapi = Path("contracts/asyncapi.json")
    asyncapi.write_text(json.dumps(asyncapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(asyncapi)
    readme = Path("README.md")
    readme.write_text(with_feeds_table(with_operations_table(readme.read_text())))
    print(readme)
    return 0


async def _bridge() -> None:
    from adapter.bridge.app import run_bridge
    from adapter.bridge.settings import BridgeSettings

    await run_bridge(_settings(Settings), _settings(BridgeSettings), _stop_on_signals())


async def _operate(args: argparse.Namespace) -> int:
    from adapter.bridge.settings import BridgeSettings

    settings = _settings(Settings)
    bootstrap = args.bootstrap_servers or settings.kafka_bootstrap_servers
    if args.command == "replay":
        from adapter.replay.commands import replay

        return await replay(bootstrap, args)
    if args.command == "redrive-dlq":
        from adapter.replay.commands import redrive

        return await redrive(bootstrap, settings.dead_letter_topic, args)
    from adapter.bridge.commands import reset_checkpoint

    topic = args.checkpoint_topic or _settings(BridgeSettings).checkpoint_topic
    return await reset_checkpoint(bootstrap, topic, args.feed, args.sequence)


def _add_operator_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    from adapter.replay.commands import add_range_and_filters

    sub.add_parser("bridge", help="bridge NAV's event feeds to Kafka (BRIDGE_* and ADAPTER_* variables)")
    kafka = argparse.ArgumentParser(add_help=False)
    kafka.add_argument("--bootstrap-servers", help="Kafka (default: KAFKA_BOOTSTRAP_SERVERS)")
    replay = sub.add_parser("replay", parents=[kafka], help="copy a range of a topic to another topic")
    replay.add_argument("source")
    replay.add_argument("target")
    add_range_and_filters(replay)
    redrive = sub.add_parser(
        "redrive-dlq", parents=[kafka], help="put dead letters back on their request topic"
    )
    redrive.add_argument("--dlq", help="the dead-letter topic (default: ADAPTER_DEAD_LETTER_TOPIC)")
    redrive.add_argument("--to", help="this topic instead of each letter's dlq-source-topic")
    add_range_and_filters(redrive)
    reset = sub.add_parser("reset-checkpoint", parents=[kafka], help="set where a bridged feed goes on from")
    reset.add_argument("feed", help="feed id, e.g. trygdehendelser or samordning.vedtak.3010")
    reset.add_argument("sequence", type=int, help="the last number treated as done (0: from the start)")
    reset.add_argument("--checkpoint-topic", help="default: BRIDGE_CHECKPOINT_TOPIC")


def main(argv: list[str] | None = None) -> int:
    from contracts.operations import OPERATIONS

    parser = argparse.ArgumentParser(prog="nav-adapter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lookups", help="consume lookup requests (configured from ADAPTER_* variables)")
    dev = sub.add_parser("dev", help="embedded broker + NAV sandbox + adapter, and a first lookup")
    dev.add_argument("--kafka-port", type=int, default=19092)
    dev.add_argument("--sandbox-port", type=int, default=18080)
    dev.add_argument("--work-dir", default=".dev")
    req = sub.add_parser("request", help="send one lookup and print its reply")
    req.add_argument("operation", choices=[op.name for op in OPERATIONS])
    req.add_argument("fields", nargs="*", help="name=value (JSON values allowed)")
    req.add_argument("--caller", default="dev")
    req.add_argument("--kafka-port", type=int, default=19092, help="the dev broker's port")
    req.add_argument("--timeout", type=float, default=30.0)
    sub.add_parser("sandbox", help="run the NAV sandbox (see nav-sandbox --help)", add_help=False)
    sub.add_parser("docs", help="regenerate contracts/schemas/*.json and the README's tables")
    _add_operator_commands(sub)

    args, rest = parser.parse_known_args(argv)
    configure_logging(LogSettings().log_level, json_lines=args.command in ("lookups", "bridge"))
    if args.command == "sandbox":
        from nav_sandbox.cli import main as sandbox_main

        return sandbox_main(rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.command == "docs":
        return _docs()
    if args.command == "lookups":
        asyncio.run(_lookups())
        return 0
    if args.command == "dev":
        asyncio.run(_dev(args))
        return 0
    if args.command == "bridge":
        asyncio.run(_bridge())
        return 0
    if args.command in ("replay", "redrive-dlq", "reset-checkpoint"):
        return asyncio.run(_operate(args))
    return asyncio.run(_request(args))


if __name__ == "__main__":
    sys.exit(main())
