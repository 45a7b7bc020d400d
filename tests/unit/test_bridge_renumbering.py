"""NAV renumbering samordning's vedtak positions, decided purely: detected by NAV's highest
number going down or a known position holding another item, handled by the continuity policy."""

import orjson
import pytest

from adapter.bridge.continuity import Anchor, Renumbered, check_page, fetch_start
from adapter.bridge.feed import ConfiguredFeed
from adapter.bridge.page import FeedItem, Page, parse_page
from adapter.bridge.records import to_records
from nav_lookup_contracts.bridged import BRIDGED_RECORD, RenumberedRecord
from nav_lookup_contracts.feeds import FEEDS_BY_NAME

FNR = "13097248022"
VEDTAK = ConfiguredFeed.of(FEEDS_BY_NAME["samordning.vedtak"], tpnr="3010", page_size=4)


def _vedtak(vedtak_id: int, **extra: object) -> dict[str, object]:
    return {
        "ytelsesType": "ALDER",
        "identifikator": FNR,
        "vedtakId": str(vedtak_id),
        "fom": "2024-01-01",
        **extra,
    }


def _page(start: int, ids: list[int], highest: int) -> Page:
    last = start + len(ids) - 1 if ids else 1
    body = {
        "hendelser": [_vedtak(i) for i in ids],
        "sisteSekvensnummer": highest,
        "sisteLesteSekvensnummer": last,
    }
    return parse_page(VEDTAK, start, orjson.dumps(body))


def _anchor_at(page: Page, sequence: int) -> Anchor:
    item = next(i for i in page.items if i.sequence == sequence)
    assert item.identity is not None
    return Anchor(sequence, item.identity, page.highest)


def test_the_bridge_asks_again_from_the_last_published_position() -> None:
    first = _page(1, [101, 102, 103, 104], highest=10)
    checked = check_page(first, expected=1, policy="halt")
    assert checked.anchor == _anchor_at(first, 4)
    assert fetch_start(5, checked.anchor) == 4
    assert fetch_start(5, None) == 5
    # Same item at position 4: it is not published again, the rest are.
    again = _page(4, [104, 105, 106, 107], highest=10)
    checked = check_page(again, expected=5, policy="halt", anchor=checked.anchor)
    assert [e.sequence for e in checked.entries] == [5, 6, 7]
    assert not checked.discontinuities and checked.next_sequence == 8


@pytest.mark.parametrize(
    ("ids", "highest"),
    [([201, 202, 203], 10), ([105, 106, 107], 9), ([], 3)],
    ids=["another item at the position", "highest went down", "the position is gone"],
)
def test_a_renumbering_halts_by_default(ids: list[int], highest: int) -> None:
    anchor = Anchor(4, _anchor_at(_page(1, [101, 102, 103, 104], highest=10), 4).identity, 10)
    page = _page(4, ids, highest=highest)
    checked = check_page(page, expected=5, policy="halt", anchor=anchor)
    assert checked.halted and checked.entries == ()
    assert [d.kind for d in checked.discontinuities] == ["renumbered"]
    assert checked.next_sequence == 5


def test_under_gap_record_a_renumbering_is_a_record_then_the_new_numbering() -> None:
    anchor = Anchor(4, _anchor_at(_page(1, [101, 102, 103, 104], highest=10), 4).identity, 10)
    page = _page(4, [301, 302, 303, 304], highest=12)  # rows appeared before: positions moved up
    checked = check_page(page, expected=5, policy="gap-record", anchor=anchor)
    assert not checked.halted
    mark, *events = checked.entries
    assert mark == Renumbered(4, 10, 12)
    assert [e.sequence for e in events if isinstance(e, FeedItem)] == [5, 6, 7]
    assert checked.anchor is not None and checked.anchor.sequence == 7
    (record, *_) = to_records(VEDTAK, checked.entries, None)
    parsed = BRIDGED_RECORD.validate_json(record.value)
    assert parsed == RenumberedRecord(
        feed="samordning.vedtak.3010", sequence=4, nav_highest_before=10, nav_highest_now=12, tpnr="3010"
    )
    assert dict(record.headers)["nav-record"] == b"renumbered"
    # The next page under the new numbering is not a renumbering again.
    nxt = _page(7, [304, 305, 306], highest=12)
    assert not check_page(nxt, expected=8, policy="gap-record", anchor=checked.anchor).discontinuities


def test_items_with_navs_own_sekvensnummer_are_numbered_by_it() -> None:
    body = {
        "hendelser": [_vedtak(500 + n, sekvensnummer=n) for n in (9, 7, 8)],
        "sisteSekvensnummer": 9,
        "sisteLesteSekvensnummer": 9,
    }
    page = parse_page(VEDTAK, 7, orjson.dumps(body))
    assert [i.sequence for i in page.items] == [7, 8, 9]
    assert not page.positional
    assert check_page(page, expected=7, policy="halt").anchor is None
