"""The tables of operations (docs/messages.md) and feeds (docs/bridge.md), generated from
`OPERATIONS` and `FEEDS` so they cannot drift."""

import re

from nav_lookup_contracts.feeds import FEEDS, REQUESTS_PER_MINUTE, Sequencing
from nav_lookup_contracts.operations import OPERATIONS, Operation

START, END = "<!-- operations:start -->", "<!-- operations:end -->"
FEEDS_START, FEEDS_END = "<!-- feeds:start -->", "<!-- feeds:end -->"


def _params(op: Operation) -> str:
    """Where NAV gets each field of the operation, as the tables show it."""
    return ", ".join(
        f"`{p.field}` → {p.where.value}"
        + (f" `{p.wire}`" if p.wire else "")
        + (f" ({p.note})" if p.note else "")
        for p in op.params
    )


def operations_table() -> str:
    rows = [
        "| operation | NAV API | scope | HTTP | parameters: field → where NAV gets it | consent | inferred |",
        "|---|---|---|---|---|---|---|",
    ]
    for op in OPERATIONS:
        params = _params(op)
        consent = f"Altinn 3 `{op.consent_resource}` or Altinn 2" if op.consent_resource else "no"
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


NAV_APIS_PAGE = "docs/nav-apis.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "-"


def nav_apis_page() -> str:
    """docs/nav-apis.md, whole: every row of `OPERATIONS` and `FEEDS`, confirmed or inferred, with
    the source it was read from."""
    lines = [
        "# NAV's APIs as the adapter calls them",
        "",
        "Generated from the operations table (`contracts/nav_lookup_contracts/operations.py`)",
        "and the feeds table (`contracts/nav_lookup_contracts/feeds.py`) by `make docs`; a test fails",
        "when this page and the tables differ.",
        "Each row is *confirmed* (read in NAV's own code, specs or portal, the source given) or",
        "*inferred* (what is not confirmed is named). The client, the sandbox and these tables all",
        "come from the same rows, so correcting NAV's contract is one row.",
        "",
        "## Lookups",
        "",
        "| operation | NAV API, default base URL | scopes | HTTP | parameters | consent | NAV's answers "
        "| status | source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for op in OPERATIONS:
        params = _params(op)
        answers = {
            "not_found": "unknown subject: 404",
            "empty": "unknown subject: 200, empty",
            "forbidden": "unknown subject: 403",
        }[op.unknown_subject]
        if op.forbidden:
            answers += f"; 403: {op.forbidden}"
        if op.error_model is not None:
            answers += f"; errors: `{{{', '.join(op.error_model.model_fields)}}}`"
        if op.api.request_id_required:
            answers += "; 400 without `X-Request-Id`"
        status = op.status + (f": {op.inferred}" if op.inferred else "")
        consent = f"Altinn 3 `{op.consent_resource}` or Altinn 2" if op.consent_resource else "no"
        scopes = " or ".join(f"`{scope}`" for scope in op.scopes)
        lines.append(
            f"| `{op.name}` | {op.api.title}, `{op.api.default_base_url}` | {scopes} "
            f"| {op.method} `{op.path}` | {_cell(params)} | {consent} | {_cell(answers)} "
            f"| {_cell(status)} | {_cell(op.source)} |"
        )
    lines += [
        "",
        "## Feeds",
        "",
        "| feed | NAV API, default base URL | scope | HTTP | sequence number | rate limit | status "
        "| source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for feed in FEEDS:
        sequence = (
            f"`{feed.sequence_field}`"
            if feed.sequencing is Sequencing.ITEM
            else "position"
            + (
                f", or `{feed.optional_sequence_field}` where NAV sends it"
                if feed.optional_sequence_field
                else ""
            )
        )
        limit = REQUESTS_PER_MINUTE.get(feed.api.key)
        limit_text = f"{limit}/min per endpoint, 503 over it" if limit else "-"
        status = feed.status + (f": {feed.inferred}" if feed.inferred else "")
        lines.append(
            f"| `{feed.name}`{' per tpnr' if feed.per_tpnr else ''} "
            f"| {feed.api.title}, `{feed.api.default_base_url}` | `{feed.scope}` | GET `{feed.path}` "
            f"| {sequence} | {limit_text} | {_cell(status)} | {_cell(feed.source)} |"
        )
    return "\n".join(lines) + "\n"
