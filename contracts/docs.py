"""The tables of operations (docs/messages.md) and feeds (docs/bridge.md), generated from
`OPERATIONS` and `FEEDS` so they cannot drift."""

import re

from contracts.feeds import FEEDS, Sequencing
from contracts.operations import OPERATIONS

START, END = "<!-- operations:start -->", "<!-- operations:end -->"
FEEDS_START, FEEDS_END = "<!-- feeds:start -->", "<!-- feeds:end -->"


def operations_table() -> str:
    rows = [
        "| operation | NAV API | scope | HTTP | parameters: field → where NAV gets it | consent | inferred |",
        "|---|---|---|---|---|---|---|",
    ]
    for op in OPERATIONS:
        params = ", ".join(
            f"`{p.field}` → {p.where.value}"
            + (f" `{p.wire}`" if p.wire else "")
            + (f" ({p.note})" if p.note else "")
            for p in op.params
        )
        consent = f"Altinn 3 `{op.consent_resource}`" if op.consent_resource else "no"
        scopes = " or ".join(f"`{scope}`" for scope in op.scopes)
        rows.append(
            f"| `{op.name}` | {op.api.title} | {scopes} | {op.method} `{op.path}` | {params} "
            f"| {consent} | {op.inferred or '-'} |"
        )
    return "\n".join(rows)


def feeds_table() -> str:
    rows = [
        "| feed | NAV API | scope | HTTP | parameters | page size (max) | sequence number | key | inferred |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for feed in FEEDS:
        p = feed.params
        params = ", ".join(
            f"{role} `{wire}`"
            for role, wire in (
                ("from", p.start),
                ("size", p.page_size),
                ("page", p.page),
                ("tpnr", p.tpnr),
                ("filter", p.filter),
            )
            if wire
        )
        sequence = (
            f"`{feed.sequence_field}`"
            if feed.sequencing is Sequencing.ITEM
            else "position: `sekvensnummer + side*antall + index`"
        )
        rows.append(
            f"| `{feed.name}`{' per tpnr' if feed.per_tpnr else ''} | {feed.api.title} | `{feed.scope}` "
            f"| GET `{feed.path}` | {params} | {feed.default_page_size} ({feed.max_page_size}) "
            f"| {sequence} | `{'.'.join(feed.ident_field)}` | {feed.inferred or '-'} |"
        )
    return "\n".join(rows)


def _replace(readme: str, start: str, end: str, table: str) -> str:
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    return pattern.sub(lambda _: f"{start}\n{table}\n{end}", readme)


def with_operations_table(readme: str) -> str:
    """`readme` with the text between the markers replaced by the current table."""
    return _replace(readme, START, END, operations_table())


def with_feeds_table(readme: str) -> str:
    return _replace(readme, FEEDS_START, FEEDS_END, feeds_table())
