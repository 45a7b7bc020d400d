"""The README's table of operations, generated from `OPERATIONS` so the two cannot drift."""

import re

from contracts.operations import OPERATIONS

START, END = "<!-- operations:start -->", "<!-- operations:end -->"


def operations_table() -> str:
    rows = [
        "| operation | NAV API | scope | HTTP | parameters: field → where NAV gets it | consent | inferred |",
        "|---|---|---|---|---|---|---|",
    ]
    for op in OPERATIONS:
        params = ", ".join(
            f"`{p.field}` → {p.where.value}" + (f" `{p.wire}`" if p.wire else "") for p in op.params
        )
        rows.append(
            f"| `{op.name}` | {op.api.title} | `{op.scope}` | {op.method} `{op.path}` | {params} "
            f"| {'yes' if op.needs_consent else 'no'} | {op.inferred or '-'} |"
        )
    return "\n".join(rows)


def with_operations_table(readme: str) -> str:
    """`readme` with the text between the markers replaced by the current table."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _: f"{START}\n{operations_table()}\n{END}", readme)
