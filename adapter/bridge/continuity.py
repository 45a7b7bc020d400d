"""Continuity of NAV's sequence numbers, decided purely: what of a page to publish, and where next.

A page's items come in number order (`parse_page` sorts them: samordning answers in no order),
and where the bridge asks next follows from the highest number seen, never from a page length.
Each page is checked against the number the bridge expects next:
- **gap** (an item's number is above the expected one, and the feed has no filter that makes
  gaps normal): `halt` publishes the items before the gap, checkpoints them and stops the feed
  until an operator resets its checkpoint; `gap-record` publishes a `GapRecord` for the missing
  numbers and carries on.
- **step back** (an item's number is at or below one already passed, or NAV's highest number
  is below what was published): `halt` stops the feed as above; `gap-record` skips those items,
  since they were published already, and carries on. No record is written for a step back.
Both are logged and counted by the caller.

Samordning's vedtak items have no numbers: they are numbered by position. There, a page whose
`sisteLesteSekvensnummer` is above its last position is a gap before the page (the items are
numbered back from NAV's figure); one below it is a step back (positions are kept).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from adapter.bridge.feed import ContinuityPolicy
from adapter.bridge.page import FeedItem, Page


@dataclass(frozen=True)
class Gap:
    first_missing: int
    last_missing: int

    @property
    def sequence(self) -> int:
        # The gap stands in the feed's order where its last missing number would have been.
        return self.last_missing


Entry = FeedItem | Gap


@dataclass(frozen=True)
class Discontinuity:
    kind: Literal["gap", "step_back"]
    expected: int
    received: int


@dataclass(frozen=True)
class Checked:
    entries: tuple[Entry, ...]
    """What to publish, in order."""
    next_sequence: int
    discontinuities: tuple[Discontinuity, ...] = ()
    halted: bool = False


def _renumbered(page: Page, shift: int) -> tuple[FeedItem, ...]:
    return tuple(replace(item, sequence=item.sequence + shift) for item in page.items)


def check_page(
    page: Page,
    *,
    expected: int,
    policy: ContinuityPolicy,
    gaps_expected: bool = False,
    already_published: Iterable[int] = (),
) -> Checked:
    """The page's entries to publish, the number expected after them, and what broke continuity.

    `already_published` are numbers found on the topic after the checkpoint (a crash between
    publishing and checkpointing); they are not published again.
    """
    halt = policy == "halt"
    skip = frozenset(already_published)
    found: list[Discontinuity] = []
    items = page.items

    if page.positional and items and page.reported_last is not None:
        shift = page.reported_last - items[-1].sequence
        if shift > 0:
            items = _renumbered(page, shift)  # the loop below sees the gap before the first item
        elif shift < 0:
            found.append(Discontinuity("step_back", items[-1].sequence, page.reported_last))
            if halt:
                return Checked((), expected, tuple(found), halted=True)

    if not items and page.highest is not None and page.highest < expected - 1:
        found.append(Discontinuity("step_back", expected - 1, page.highest))
        return Checked((), expected, tuple(found), halted=halt)

    entries: list[Entry] = []
    next_sequence = expected
    for item in items:
        if item.sequence < next_sequence:
            found.append(Discontinuity("step_back", next_sequence, item.sequence))
            if halt:
                return Checked(tuple(entries), next_sequence, tuple(found), halted=True)
            continue
        if item.sequence > next_sequence and not gaps_expected:
            found.append(Discontinuity("gap", next_sequence, item.sequence))
            if halt:
                return Checked(tuple(entries), next_sequence, tuple(found), halted=True)
            gap = Gap(next_sequence, item.sequence - 1)
            if gap.sequence not in skip:
                entries.append(gap)
        if item.sequence not in skip:
            entries.append(item)
        next_sequence = item.sequence + 1
    return Checked(tuple(entries), next_sequence, tuple(found))
