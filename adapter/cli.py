"""`nav-adapter`: one entry point for running and operating the adapter.

The runtime's own commands are here. Development commands (`dev`, `request`, `sandbox`) come from
the `nav_adapter.commands` entry points that `devtools` registers, so the runtime never imports
the development tools or the sandbox.
"""

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from adapter.observability.logs import configure_logging
from adapter.observability.tracing import configure_tracing
from adapter.settings import (
    BridgeSettings,
    KafkaSettings,
    LogSettings,
    LookupSettings,
    NavSettings,
    TracingSettings,
)
from adapter.settings_help import env_name, settings_epilog
from adapter.shutdown import STOP_MARGIN_SECONDS, exit_unless_stopped_within
from nav_lookup_contracts.validation import problems

COMMANDS_GROUP = "nav_adapter.commands"

Run = Callable[[argparse.Namespace, list[str]], int]


def stop_on_signals(*, exit_after: float | None = None) -> asyncio.Event:
    """An event set on SIGINT or SIGTERM; with `exit_after`, the process exits that many seconds
    after the first signal if it has not stopped by then."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if exit_after is not None and not stop.is_set():
            exit_unless_stopped_within(exit_after)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    return stop


S = TypeVar("S", bound=BaseSettings)


def read_settings(kind: type[S]) -> S:
    try:
        return kind()
    except ValidationError as exc:
        # Named as the operator sets them: the variable, not the field.
        names = {name: env_name(kind, name, info) for name, info in kind.model_fields.items()}
        found = "; ".join(problems(exc, empty_location="settings", rename=names))
        raise SystemExit(f"invalid configuration: {found}") from None


def _kafka(args: argparse.Namespace) -> KafkaSettings:
    kafka = read_settings(KafkaSettings)
    if given := getattr(args, "bootstrap_servers", None):
        kafka = kafka.model_copy(update={"bootstrap_servers": given})
    if not kafka.bootstrap_servers:
        raise SystemExit("invalid configuration: KAFKA_BROKERS (or KAFKA_BOOTSTRAP_SERVERS) is not set")
    return kafka


T = TypeVar("T")


def run_connected(kafka: KafkaSettings, main: Callable[[], Awaitable[T]]) -> T:
    """Run `main` once Kafka has answered as configured; else stop with what to look at."""

    async def checked() -> T:
        from adapter.kafka.clients import KafkaConfigError
        from adapter.kafka.preflight import check_connection

        try:
            await check_connection(kafka)
        except KafkaConfigError as exc:
            raise SystemExit(str(exc)) from None
        return await main()

    return asyncio.run(checked())


def _lookups(args: argparse.Namespace, rest: list[str]) -> int:
    from adapter.lookup.app import run_lookups

    lookups = read_settings(LookupSettings)
    return _run_role(run_lookups, _kafka(args), lookups, lookups.token_scopes)


def _bridge(args: argparse.Namespace, rest: list[str]) -> int:
    from adapter.bridge.app import run_bridge

    bridge = read_settings(BridgeSettings)
    scopes = [f.feed.scope for f in bridge.configured_feeds()]
    return _run_role(run_bridge, _kafka(args), bridge, lambda nav: scopes)


R = TypeVar("R", LookupSettings, BridgeSettings)


def _run_role(
    run: Callable[[KafkaSettings, NavSettings, R, asyncio.Event], Awaitable[None]],
    kafka: KafkaSettings,
    role: R,
    scopes: Callable[[NavSettings], Iterable[str]],
) -> int:
    """Run a role on the one Kafka and NAV connection until SIGINT or SIGTERM."""
    nav = read_settings(NavSettings)
    try:
        nav.check_scopes(scopes(nav))
    except ValueError as exc:
        raise SystemExit(f"invalid configuration: {exc}") from None

    async def main() -> None:
        stop = stop_on_signals(exit_after=role.drain_timeout_seconds + STOP_MARGIN_SECONDS)
        await run(kafka, nav, role, stop)

    run_connected(kafka, main)
    return 0


def _docs(args: argparse.Namespace, rest: list[str]) -> int:
    import json

    from adapter.asyncapi import asyncapi_document
    from adapter.doc_tables import NAV_APIS_PAGE, nav_apis_page, with_feeds_table, with_operations_table
    from nav_lookup_contracts.schema import all_schemas

    schemas = Path("contracts/nav_lookup_contracts/schemas")
    schemas.mkdir(parents=True, exist_ok=True)
    for name, schema in all_schemas().items():
        path = schemas / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        print(path)
    asyncapi = Path("contracts/nav_lookup_contracts/asyncapi.json")
    asyncapi.write_text(json.dumps(asyncapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(asyncapi)
    for page, fill in (
        (Path("docs/messages.md"), with_operations_table),
        (Path("docs/bridge.md"), with_feeds_table),
    ):
        page.write_text(fill(page.read_text()))
        print(page)
    Path(NAV_APIS_PAGE).write_text(nav_apis_page())
    print(NAV_APIS_PAGE)
    return 0


def _replay(args: argparse.Namespace, rest: list[str]) -> int:
    from adapter.replay.commands import replay

    kafka = _kafka(args)
    return run_connected(kafka, lambda: replay(kafka, args))


def _redrive(args: argparse.Namespace, rest: list[str]) -> int:
    from adapter.replay.commands import redrive

    dead_letter_topic = read_settings(LookupSettings).dead_letter_topic
    kafka = _kafka(args)
    return run_connected(kafka, lambda: redrive(kafka, dead_letter_topic, args))


def _reset(args: argparse.Namespace, rest: list[str]) -> int:
    from adapter.bridge.commands import reset_checkpoint

    topic = args.checkpoint_topic or read_settings(BridgeSettings).checkpoint_topic
    kafka = _kafka(args)
    return run_connected(kafka, lambda: reset_checkpoint(kafka, topic, args.feed, args.sequence))


def _add_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    from adapter.replay.commands import add_range_and_filters

    lookups = sub.add_parser(
        "lookups",
        help="consume lookup requests (KAFKA_* and ADAPTER_* variables)",
        epilog=settings_epilog(KafkaSettings, NavSettings, LookupSettings, LogSettings, TracingSettings),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lookups.set_defaults(run=_lookups, json_logs=True, role="lookups")
    bridge = sub.add_parser(
        "bridge",
        help="bridge NAV's event feeds to Kafka (KAFKA_*, ADAPTER_NAV_*, BRIDGE_*)",
        epilog=settings_epilog(KafkaSettings, NavSettings, BridgeSettings, LogSettings, TracingSettings),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bridge.set_defaults(run=_bridge, json_logs=True, role="bridge")
    sub.add_parser(
        "docs", help="regenerate the JSON Schemas, the AsyncAPI document and the tables in docs/"
    ).set_defaults(run=_docs)
    kafka = argparse.ArgumentParser(add_help=False)
    kafka.add_argument("--bootstrap-servers", help="Kafka (default: KAFKA_BOOTSTRAP_SERVERS)")
    replay = sub.add_parser("replay", parents=[kafka], help="copy a range of a topic to another topic")
    replay.add_argument("source")
    replay.add_argument("target")
    add_range_and_filters(replay)
    replay.set_defaults(run=_replay, role="replay")
    redrive = sub.add_parser(
        "redrive-dlq", parents=[kafka], help="put dead letters back on their request topic"
    )
    redrive.add_argument("--dlq", help="the dead-letter topic (default: ADAPTER_DEAD_LETTER_TOPIC)")
    redrive.add_argument("--to", help="this topic instead of each letter's dlq-source-topic")
    add_range_and_filters(redrive)
    redrive.set_defaults(run=_redrive, role="redrive-dlq")
    reset = sub.add_parser("reset-checkpoint", parents=[kafka], help="set where a bridged feed goes on from")
    reset.add_argument("feed", help="feed id, e.g. trygdehendelser or samordning.vedtak.3010")
    reset.add_argument("sequence", type=int, help="the last number treated as done (0: from the start)")
    reset.add_argument("--checkpoint-topic", help="default: BRIDGE_CHECKPOINT_TOPIC")
    reset.set_defaults(run=_reset, role="reset-checkpoint")


def _add_installed_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Commands other packages register (`devtools`, where it is installed).

    The runtime image installs the distribution without `devtools`, while its metadata still names
    the entry point: a registered module that is not there is left out, not an error."""
    for entry in entry_points(group=COMMANDS_GROUP):
        if find_spec(entry.module.partition(".")[0]) is None:
            continue
        entry.load()(sub)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nav-adapter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_commands(sub)
    _add_installed_commands(sub)
    args, rest = parser.parse_known_args(argv)
    logs = read_settings(LogSettings)
    json_lines = logs.log_format == "json" if logs.log_format else getattr(args, "json_logs", False)
    configure_logging(logs.log_level, json_lines=json_lines)
    if rest and not getattr(args, "takes_rest", False):
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if role := getattr(args, "role", None):  # the runtime's roles, each traced as itself
        configure_tracing(read_settings(TracingSettings), role)
    run: Run = args.run
    try:
        return run(args, rest)
    except KeyboardInterrupt:
        # A Ctrl-C before the command's own handler is installed: nothing was running yet.
        return 130


if __name__ == "__main__":
    sys.exit(main())
