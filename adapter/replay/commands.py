"""`nav-adapter replay` and `nav-adapter redrive-dlq`: arguments in, a copy, counts out.

Replayed lookup requests are answered again with the same `request_id`: callers dedupe on it,
and the adapter answers a request id it has just answered from its recent replies.
"""

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from adapter.replay.select import Range, Selection, redriven, replayed
from adapter.settings import KafkaSettings

if TYPE_CHECKING:
    from adapter.replay.copy import Report


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _header(text: str) -> tuple[str, bytes | None]:
    name, sep, value = text.partition("=")
    return name, value.encode() if sep else None


def add_range_and_filters(parser: argparse.ArgumentParser) -> None:
    span = parser.add_argument_group("range (per partition; default: all that is there now)")
    span.add_argument("--from-offset", type=int, help="first offset copied")
    span.add_argument("--to-offset", type=int, help="first offset not copied")
    span.add_argument("--from-time", type=_time, help="ISO 8601; first record at or after it")
    span.add_argument("--to-time", type=_time, help="ISO 8601; records before it")
    span.add_argument("--partition", type=int, action="append", help="only these partitions (repeatable)")
    chosen = parser.add_argument_group("filters (all must hold)")
    chosen.add_argument("--key", help="the record key, exactly")
    chosen.add_argument("--header", type=_header, action="append", default=[], help="NAME=VALUE or NAME")
    chosen.add_argument("--operation", help="the `operation` header or JSON field")
    parser.add_argument("--dry-run", action="store_true", help="count what would be copied, write nothing")


def _span(args: argparse.Namespace) -> Range:
    return Range(
        from_offset=args.from_offset,
        to_offset=args.to_offset,
        from_time=args.from_time,
        to_time=args.to_time,
        partitions=frozenset(args.partition) if args.partition else None,
    )


def _selection(args: argparse.Namespace) -> Selection:
    return Selection(
        key=args.key.encode() if args.key is not None else None,
        headers=tuple(args.header),
        operation=args.operation,
    )


def _progress(report: "Report") -> None:
    print(
        f"... scanned {report.scanned}/{report.total}, matched {report.matched}, "
        f"written {sum(report.written.values())}",
        file=sys.stderr,
        flush=True,
    )


def _summary(report: "Report", source: str, dry_run: bool) -> None:
    verb = "would copy" if dry_run else "copied"
    print(f"scanned {report.scanned} of {report.total}, matched {report.matched}")
    if not report.total:
        print(f"nothing to copy: {source} holds no records in the range")
    for topic, count in sorted(report.written.items()):
        print(f"{verb} {count} to {topic}")
    if report.no_target:
        print(f"skipped {report.no_target} with no dlq-source-topic (give --to)")


async def replay(kafka: KafkaSettings, args: argparse.Namespace) -> int:
    from adapter.replay.copy import copy_range

    source = args.source
    report = await copy_range(
        kafka,
        source,
        span=_span(args),
        selection=_selection(args),
        transform=lambda record: replayed(record, args.target),
        dry_run=args.dry_run,
        progress=_progress,
    )
    _summary(report, source, args.dry_run)
    return 0


async def redrive(kafka: KafkaSettings, dead_letter_topic: str, args: argparse.Namespace) -> int:
    from adapter.replay.copy import copy_range

    source = args.dlq or dead_letter_topic
    report = await copy_range(
        kafka,
        source,
        span=_span(args),
        selection=_selection(args),
        transform=lambda record: redriven(record, args.to),
        dry_run=args.dry_run,
        progress=_progress,
    )
    _summary(report, source, args.dry_run)
    return 1 if report.no_target else 0
