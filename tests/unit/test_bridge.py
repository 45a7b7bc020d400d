"""The bridge's pure parts: pages, continuity, resume plans, records, settings, pacing, the lease assignor."""

import asyncio
from pathlib import Path

import orjson
import pytest
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata

from adapter.bridge.continuity import Gap, check_page
from adapter.bridge.feed import ConfiguredFeed
from adapter.bridge.lease import LeaseAssignor
from adapter.bridge.pacing import Pacer, Pacing
from adapter.bridge.page import FeedItem, Page, parse_page
from adapter.bridge.records import record_key, to_records
from adapter.bridge.resume import Published, Resume, plan_resume
from adapter.doc_tables import FEEDS_END, FEEDS_START, feeds_table, with_feeds_table
from adapter.nav.errors import NavContractError, NavRejected, NavUnavailable, error_for_status
from adapter.settings import BridgeSettings
from adapter.token_bucket import TokenBucket
from nav_lookup_contracts.bridged import BRIDGED_RECORD, BridgedEvent, Checkpoint, GapRecord
from nav_lookup_contracts.feeds import FEEDS_BY_NAME, parse_feed_id

FNR = "13097248022"
TRYGD = ConfiguredFeed.of(FEEDS_BY_NAME["trygdehendelser"], page_size=5)
VEDTAK = ConfiguredFeed.of(FEEDS_BY_NAME["samordning.vedtak"], tpnr="3010", page_size=3)


def _items(*numbers: int) -> tuple[FeedItem, ...]:
    return tuple(FeedItem(n, FNR, {"n": n}) for n in numbers)


def _page(*numbers: int, full: bool = False, highest: int | None = None) -> Page:
    return Page(
        start=numbers[0] if numbers else 1,
        items=_items(*numbers),
        full=full,
        positional=False,
        highest=highest,
    )


def _numbers(entries: tuple[FeedItem | Gap, ...]) -> list[object]:
    return [(e.first_missing, e.last_missing) if isinstance(e, Gap) else e.sequence for e in entries]


# --- pages ---


def test_a_trygdehendelser_page() -> None:
    body = orjson.dumps(
        {
            "antallHendelser": 2,
            "hendelser": [
                {
                    "hendelsesnummer": n,
                    "type": "OPPRETTET",
                    "innhold": {"periodeId": 1, "personident": FNR},
                    "x": 1,
                }
                for n in (7, 8)
            ],
        }
    )
    page = parse_page(TRYGD, 7, body)
    assert [i.sequence for i in page.items] == [7, 8]
    assert page.items[0].ident == FNR
    assert page.items[0].raw["x"] == 1  # published as NAV served it
    assert not page.full and not page.positional


def test_vedtak_numbers_are_positions_and_empty_page_last_is_ignored() -> None:
    item = {"ytelsesType": "ALDER", "identifikator": FNR, "vedtakId": "1", "fom": "2024-01-01"}
    body = orjson.dumps({"hendelser": [item] * 3, "sisteSekvensnummer": 50, "sisteLesteSekvensnummer": 12})
    page = parse_page(VEDTAK, 10, body, side=0)
    assert [i.sequence for i in page.items] == [10, 11, 12]
    assert page.full and page.positional and page.highest == 50 and page.reported_last == 12
    assert parse_page(VEDTAK, 10, body, side=1).items[0].sequence == 13
    empty = parse_page(
        VEDTAK, 51, b'{"hendelser": [], "sisteSekvensnummer": 50, "sisteLesteSekvensnummer": 1}'
    )
    assert empty.items == () and empty.reported_last is None and empty.highest == 50


YTELSER = ConfiguredFeed.of(FEEDS_BY_NAME["samordning.ytelser"], tpnr="3010", page_size=3)


def _ytelse(n: int) -> dict[str, object]:
    return {
        "sekvensnummer": n,
        "tpnr": "3010",
        "identifikator": FNR,
        "hendelseType": "OPPRETT",
        "ytelseType": "ALDER",
        "datoFom": "2024-01-01",
    }


def test_a_shuffled_samordning_page_of_antall_plus_one_is_checked_in_number_order() -> None:
    # NAV answers 10..13 for sekvensnummer=10&antall=3, in no order.
    body = orjson.dumps(
        {
            "hendelser": [_ytelse(n) for n in (12, 10, 13, 11)],
            "sisteSekvensnummer": 40,
            "sisteLesteSekvensnummer": 13,
        }
    )
    page = parse_page(YTELSER, 10, body)
    assert [i.sequence for i in page.items] == [10, 11, 12, 13]
    assert [i.raw["sekvensnummer"] for i in page.items] == [10, 11, 12, 13]
    assert page.full and not page.positional
    for policy in ("halt", "gap-record"):
        checked = check_page(page, expected=10, policy=policy)
        assert _numbers(checked.entries) == [10, 11, 12, 13]
        assert checked.next_sequence == 14 and checked.discontinuities == () and not checked.halted


def test_a_shuffled_page_with_a_gap_halts_before_the_gap_not_before_the_first_item_served() -> None:
    body = orjson.dumps(
        {
            "hendelser": [_ytelse(n) for n in (13, 10, 11)],
            "sisteSekvensnummer": 40,
            "sisteLesteSekvensnummer": 13,
        }
    )
    page = parse_page(YTELSER, 10, body)
    halted = check_page(page, expected=10, policy="halt")
    assert _numbers(halted.entries) == [10, 11] and halted.next_sequence == 12 and halted.halted
    recorded = check_page(page, expected=10, policy="gap-record")
    assert _numbers(recorded.entries) == [10, 11, (12, 12), 13] and recorded.next_sequence == 14


@pytest.mark.parametrize("name", ["ytelser", "personer", "manglende-refusjonskrav", "vedtak"])
def test_samordning_last_read_1_on_an_empty_page_is_no_step_back(name: str) -> None:
    feed = ConfiguredFeed.of(FEEDS_BY_NAME[f"samordning.{name}"], tpnr="3010", page_size=3)
    body = b'{"hendelser": [], "sisteSekvensnummer": 40, "sisteLesteSekvensnummer": 1}'
    page = parse_page(feed, 41, body)
    assert page.items == () and page.reported_last is None and not page.full
    checked = check_page(page, expected=41, policy="halt")
    assert checked == check_page(page, expected=41, policy="gap-record")
    assert checked.entries == () and checked.next_sequence == 41
    assert checked.discontinuities == () and not checked.halted
    # NAV's highest going down is still seen on an empty page.
    behind = check_page(parse_page(feed, 45, body), expected=45, policy="halt")
    assert behind.halted and behind.discontinuities[0].kind == "step_back"


def test_a_page_off_contract_names_the_field_not_the_value() -> None:
    with pytest.raises(NavContractError) as caught:
        parse_page(
            TRYGD, 1, orjson.dumps({"hendelser": [{"hendelsesnummer": 1, "innhold": {"personident": FNR}}]})
        )
    assert FNR not in str(caught.value) and "hendelser.0" in str(caught.value)
    with pytest.raises(NavContractError):
        parse_page(TRYGD, 1, b"<html>")


def test_answer_errors() -> None:
    assert isinstance(error_for_status("f", 503, {}), NavUnavailable)
    limited = error_for_status("f", 429, {"retry-after": "7"})
    assert isinstance(limited, NavUnavailable) and limited.retry_after == 7
    assert isinstance(error_for_status("f", 403, {}), NavRejected)


# --- continuity ---


def test_a_continuous_page() -> None:
    checked = check_page(_page(3, 4, 5), expected=3, policy="halt")
    assert (
        _numbers(checked.entries) == [3, 4, 5] and checked.next_sequence == 6 and not checked.discontinuities
    )


@pytest.mark.parametrize("policy", ["halt", "gap-record"])
def test_a_gap(policy: str) -> None:
    checked = check_page(_page(3, 4, 8, 9), expected=3, policy=policy)  # type: ignore[arg-type]
    assert checked.discontinuities[0].kind == "gap"
    if policy == "halt":
        assert checked.halted and _numbers(checked.entries) == [3, 4] and checked.next_sequence == 5
    else:
        assert not checked.halted
        assert _numbers(checked.entries) == [3, 4, (5, 7), 8, 9] and checked.next_sequence == 10


def test_a_gap_at_the_start_of_a_page() -> None:
    checked = check_page(_page(6, 7), expected=3, policy="gap-record")
    assert _numbers(checked.entries) == [(3, 5), 6, 7]


def test_a_filter_makes_gaps_normal() -> None:
    checked = check_page(_page(2, 4, 6), expected=1, policy="halt", gaps_expected=True)
    assert _numbers(checked.entries) == [2, 4, 6] and not checked.discontinuities


@pytest.mark.parametrize("policy", ["halt", "gap-record"])
def test_a_step_back(policy: str) -> None:
    checked = check_page(_page(5, 6, 4, 7), expected=5, policy=policy)  # type: ignore[arg-type]
    assert checked.discontinuities[0].kind == "step_back"
    if policy == "halt":
        assert checked.halted and _numbers(checked.entries) == [5, 6]
    else:
        assert _numbers(checked.entries) == [5, 6, 7] and checked.next_sequence == 8


def test_nav_behind_the_bridge_is_a_step_back() -> None:
    checked = check_page(_page(highest=3), expected=10, policy="gap-record")
    assert checked.discontinuities[0].kind == "step_back" and not checked.halted
    assert check_page(_page(highest=9), expected=10, policy="halt").discontinuities == ()


def test_numbers_already_on_the_topic_are_not_published_again() -> None:
    checked = check_page(_page(3, 4, 5, 6), expected=3, policy="halt", already_published={3, 5})
    assert _numbers(checked.entries) == [4, 6] and checked.next_sequence == 7


def test_vedtak_with_a_higher_reported_last_is_a_gap_before_the_page() -> None:
    page = Page(start=4, items=_items(4, 5, 6), full=True, positional=True, reported_last=9)
    checked = check_page(page, expected=4, policy="gap-record")
    assert _numbers(checked.entries) == [(4, 6), 7, 8, 9] and checked.next_sequence == 10
    halted = check_page(page, expected=4, policy="halt")
    assert halted.halted and halted.entries == () and halted.next_sequence == 4


# --- resume ---


def test_resume_plans() -> None:
    cp = Checkpoint(feed="f", sequence=10)
    assert plan_resume(None, Published(frozenset(), True)) == Resume(1)
    assert plan_resume(cp, Published(frozenset({9, 10}), True)) == Resume(11)
    assert plan_resume(cp, Published(frozenset({11, 13}), True)) == Resume(11, frozenset({11, 13}))
    assert plan_resume(cp, Published(frozenset({11, 13}), False)) == Resume(14)
    assert plan_resume(None, Published(frozenset({1, 2}), True)) == Resume(1, frozenset({1, 2}))
    reset = Checkpoint(feed="f", sequence=4, reset=True)
    assert plan_resume(reset, Published(frozenset({11}), True)) == Resume(5)


# --- records ---


def test_records_keys_and_headers() -> None:
    records = to_records(VEDTAK, [*_items(4), Gap(5, 6), FeedItem(7, None, {})], secret=None)
    assert [r.key for r in records] == [FNR.encode(), b"6", b"7"]
    headers = dict(records[1].headers)
    assert headers == {"nav-feed": b"samordning.vedtak.3010", "nav-sequence": b"6", "nav-record": b"gap"}
    assert all(r.topic == "nav.events.v1.samordning.vedtak.3010" for r in records)
    event = BRIDGED_RECORD.validate_json(records[0].value)
    assert isinstance(event, BridgedEvent) and event.event == {"n": 4} and event.tpnr == "3010"
    assert isinstance(BRIDGED_RECORD.validate_json(records[1].value), GapRecord)
    hashed = record_key(FNR, 4, b"secret")
    assert FNR.encode() not in hashed and hashed == record_key(FNR, 99, b"secret")


@pytest.mark.parametrize("feed", [TRYGD, VEDTAK], ids=["no tpnr", "tpnr"])
def test_event_values_are_the_models_json_byte_for_byte(feed: ConfiguredFeed) -> None:
    raw = {
        "n": 4,
        "name": "Ærlig Øst",
        "none": None,
        "nested": {"x": None, "f": 1.0, "big": 10**15},
        "l": [None, True],
    }
    (record,) = to_records(feed, [FeedItem(4, FNR, raw)], secret=None)
    model = BridgedEvent(feed=feed.id, sequence=4, tpnr=feed.tpnr, event=raw)
    assert record.value == model.model_dump_json(exclude_none=True).encode()


# --- settings ---


def test_settings_expand_samordning_per_tpnr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "BRIDGE_FEEDS", '["trygdehendelser", "samordning.vedtak", {"feed": "kuhr", "page_size": 10}]'
    )
    monkeypatch.setenv("BRIDGE_SAMORDNING_TPNR", '["3010", "3200"]')
    feeds = BridgeSettings().configured_feeds()
    assert [f.id for f in feeds] == [
        "trygdehendelser",
        "samordning.vedtak.3010",
        "samordning.vedtak.3200",
        "kuhr",
    ]
    assert feeds[3].page_size == 10


@pytest.mark.parametrize(
    "feeds",
    [
        '["nope"]',
        '["samordning.vedtak"]',
        '[{"feed": "trygdehendelser", "page_size": 101}]',
        '[{"feed": "kuhr", "filter": "EOS"}]',
        '["kuhr", "kuhr"]',
        '[{"feed": "kuhr", "params": {"nope": "x"}}]',
    ],
)
def test_bad_feed_settings_stop_the_start(monkeypatch: pytest.MonkeyPatch, feeds: str) -> None:
    monkeypatch.setenv("BRIDGE_FEEDS", feeds)
    with pytest.raises(ValueError, match=r"feed|page size|filter|params|twice"):
        BridgeSettings()


def test_a_filter_expects_gaps_unless_it_is_alle() -> None:
    feed = FEEDS_BY_NAME["trygdehendelser"]
    assert ConfiguredFeed.of(feed, filter="EOS").gaps_expected
    assert not ConfiguredFeed.of(feed, filter="ALLE").gaps_expected


# --- pacing ---


def test_pacing() -> None:
    pacer = Pacer(
        Pacing(idle_seconds=1, max_idle_seconds=5, retry_base_seconds=1, retry_max_seconds=8), rng=lambda: 1.0
    )
    assert pacer.after_page(full=True, items=5) == 0
    assert [pacer.after_page(full=False, items=0) for _ in range(4)] == [1, 2, 4, 5]
    assert pacer.after_page(full=False, items=2) == 1
    assert [pacer.after_failure() for _ in range(4)] == [2, 4, 8, 8]
    assert pacer.after_failure(retry_after=30) == 30


async def test_the_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = TokenBucket(rate=1.0, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        await limiter.acquire()
    assert slept == pytest.approx([1.0, 1.0])
    await asyncio.sleep(0)


# --- the lease ---


def test_the_lease_stays_with_its_holder() -> None:
    assignor = LeaseAssignor()
    members = {
        "a": ConsumerProtocolMemberMetadata(0, ["lease"], b""),
        "b": ConsumerProtocolMemberMetadata(0, ["lease"], b"held"),
    }
    assignment = assignor.assign(None, members)
    assert [p.partition for p in assignment["b"].partitions()] == [0]
    assert assignment["a"].partitions() == []
    fresh = assignor.assign(None, {m: ConsumerProtocolMemberMetadata(0, ["lease"], b"") for m in "ba"})
    assert fresh["a"].partitions() and not fresh["b"].partitions()
    assignor.on_assignment(assignment["b"])
    assert assignor.metadata(["lease"]).user_data == b"held"


# --- docs ---


def test_feeds_table_is_current() -> None:
    readme = (Path(__file__).parents[2] / "docs" / "bridge.md").read_text()
    assert FEEDS_START in readme and FEEDS_END in readme
    assert with_feeds_table(readme) == readme, "run `make docs`"
    assert feeds_table() in readme


def test_feed_ids() -> None:
    assert parse_feed_id("samordning.vedtak.3010") == (FEEDS_BY_NAME["samordning.vedtak"], "3010")
    assert parse_feed_id("kuhr") == (FEEDS_BY_NAME["kuhr"], None)
    for bad in ("samordning.vedtak", "kuhr.3010", "samordning.vedtak.30100", "nope"):
        with pytest.raises(ValueError, match="not a feed id"):
            parse_feed_id(bad)


def test_the_rate_bucket_is_per_endpoint_and_shared_by_every_tpnr() -> None:
    from adapter.bridge.app import rate_limiters

    bridge = BridgeSettings.model_validate(
        {
            "feeds": ["samordning.ytelser", "samordning.personer", "trygdehendelser"],
            "samordning_tpnr": ["3010", "3200"],
        }
    )
    buckets = rate_limiters(bridge, bridge.configured_feeds())
    assert buckets["samordning.ytelser.3010"] is buckets["samordning.ytelser.3200"]
    assert buckets["samordning.personer.3010"] is buckets["samordning.personer.3200"]
    assert buckets["samordning.ytelser.3010"] is not buckets["samordning.personer.3010"]
    assert "trygdehendelser" not in buckets  # NAV sets no limit there
