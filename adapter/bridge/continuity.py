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

Positions are not stable: NAV renumbers them when its filter changes or rows are deleted. So the
bridge remembers the last published item's identity (`Anchor`, also in the checkpoint) and asks
from that position again (`fetch_start`): a **renumbering** is NAV's highest number going down,
or that position holding another item, or nothing. `halt` stops the feed; `gap-record` publishes
a `RenumberedRecord` and goes on under NAV's new numbering. Never silently.
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


@dataclass(frozen=True)
class Renumbered:
    """NAV renumbered the feed after `sequence` (published under the old numbering)."""

    sequence: int
    highest_before: int | None
    highest_now: int | None


Entry = FeedItem | Gap | Renumbered


@dataclass(frozen=True)
class Discontinuity:
    kind: Literal["gap", "step_back", "renumbered"]
    expected: int
    received: int


@dataclass(frozen=True)
class Anchor:
    """The last published item of a feed numbered by position, and NAV's highest number then."""

    sequence: int
    identity: str
    nav_highest: int | None = None


@dataclass(frozen=True)
class Checked:
    entries: tuple[Entry, ...]
    """What to publish, in order."""
    next_sequence: int
    discontinuities: tuple[Discontinuity, ...] = ()
    halted: bool = False
    anchor: Anchor | None = None
    """Where the feed stands after this page (feeds numbered by position)."""


def fetch_start(expected: int, anchor: Anchor | None) -> int:
    """Where to ask from: at the anchor's position again, to see it still holds its item."""
    return anchor.sequence if anchor is not None and anchor.sequence == expected - 1 else expected


def _renumbering(page: Page, expected: int, anchor: Anchor | None) -> Discontinuity | None:
    if anchor is None or not page.positional:
        return None
    if page.highest is not None and anchor.nav_highest is not None and page.highest < anchor.nav_highest:
        return Discontinuity("renumbered", anchor.nav_highest, page.highest)
    if page.start != anchor.sequence:
        return None
    first = page.items[0] if page.items else None
    if first is None or first.identity != anchor.identity:
        return Discontinuity("renumbered", anchor.sequence, first.sequence if first else 0)
    return None


def _anchor_after(page: Page, entries: list[Entry], previous: Anchor | None) -> Anchor | None:
    if not page.positional:
        return None
    last = next((e for e in reversed(entries) if isinstance(e, FeedItem)), None)
    if last is None or last.identity is None:
        return (
            None if previous is None else replace(previous, nav_highest=page.highest or previous.nav_highest)
        )
    return Anchor(last.sequence, last.identity, page.highest)


def _shifted(items: tuple[FeedItem, ...], shift: int) -> tuple[FeedItem, ...]:
    return tuple(replace(item, sequence=item.sequence + shift) for item in items)


def check_page(
    page: Page,
    *,
    expected: int,
    policy: ContinuityPolicy,
    gaps_expected: bool = False,
    already_published: Iterable[int] = (),
    anchor: Anchor | None = None,
) -> Checked:
    """The page's entries to publish, the number expected after them, and what broke continuity.

    `already_published` are numbers found on the topic after the checkpoint (a crash between
    publishing and checkpointing); they are not published again. `anchor`: the last published
    item of a feed numbered by position; the page was asked for from its position
    (`fetch_start`) when that is the one before `expected`.
    """
    halt = policy == "halt"
    skip = frozenset(already_published)
    found: list[Discontinuity] = []
    items = page.items
    entries: list[Entry] = []

    if (renumbered := _renumbering(page, expected, anchor)) is not None:
        found.append(renumbered)
        if halt:
            return Checked((), expected, tuple(found), halted=True, anchor=anchor)
        # Go on under NAV's new numbering, after a record that says so.
        entries.append(Renumbered(expected - 1, anchor.nav_highest if anchor else None, page.highest))
        first = items[0] if items and page.start == expected - 1 else None
        anchor = Anchor(first.sequence, first.identity, page.highest) if first and first.identity else None
        if anchor is None:
            items = items if page.start == expected else items[1:]
    if page.positional and anchor is not None and page.start == anchor.sequence and items:
        items = items[1:]  # the anchor's position: published already (or renumbered, said above)

    if page.positional and items and page.reported_last is not None:
        shift = page.reported_last - items[-1].sequence
        if shift > 0:
            items = _shifted(items, shift)  # the loop below sees the gap before the first item
        elif shift < 0:
            found.append(Discontinuity("step_back", items[-1].sequence, page.reported_last))
            if halt:
                return Checked((), expected, tuple(found), halted=True, anchor=anchor)

    if not items and not entries and page.highest is not None and page.highest < expected - 1:
        found.append(Discontinuity("step_back", expected - 1, page.highest))
        return Checked((), expected, tuple(found), halted=halt, anchor=anchor)

    next_sequence = expected
    for item in items:
        if item.sequence < next_sequence:
            found.append(Discontinuity("step_back", next_sequence, item.sequence))
            if halt:
                return _halted(page, entries, next_sequence, found, anchor)
            continue
        if item.sequence > next_sequence and not gaps_expected:
            found.append(Discontinuity("gap", next_sequence, item.sequence))
            if halt:
                return _halted(page, entries, next_sequence, found, anchor)
            gap = Gap(next_sequence, item.sequence - 1)
            if gap.sequence not in skip:
                entries.append(gap)
        if item.sequence not in skip:
            entries.append(item)
        next_sequence = item.sequence + 1
    return Checked(tuple(entries), next_sequence, tuple(found), anchor=_anchor_after(page, entries, anchor))


def _halted(
    page: Page, entries: list[Entry], next_sequence: int, found: list[Discontinuity], anchor: Anchor | None
) -> Checked:
    return Checked(
        tuple(entries), next_sequence, tuple(found), halted=True, anchor=_anchor_after(page, entries, anchor)
    )
