"""The sandbox's synthetic event logs, one per feed (per tpnr for samordning), and their items.

An item is a function of its feed, number and tpnr, so a log can be made again at will; events
made at a rate are made when the log is next looked at, as many as the elapsed time calls for.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from nav_lookup_contracts.feeds import Feed
from nav_lookup_contracts.nav.hendelser import (
    HJEMMELGRUPPER,
    SIVILSTANDER,
    VEDTAK_YTELSESTYPER,
    YTELSE_HENDELSETYPER,
    YTELSE_TYPER,
)
from nav_sandbox.people import PEOPLE

_EPOCH = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)


def make_item(feed: Feed, sequence: int, tpnr: str | None) -> dict[str, Any]:
    """The synthetic item with number `sequence`: the same every time, valid for the feed."""
    person = PEOPLE[sequence % len(PEOPLE)]
    at = _EPOCH + timedelta(minutes=sequence)
    day = date(2024, 1, 1) + timedelta(days=sequence % 365)
    item: dict[str, Any]
    if feed.name == "trygdehendelser":
        unntak = person.medlemskapsunntak[sequence % len(person.medlemskapsunntak)]
        item = {
            "hendelsesnummer": sequence,
            "type": "OPPRETTET",
            "innhold": {"periodeId": unntak.unntakId, "personident": person.ident},
            "metadata": {"hjemmelgruppe": HJEMMELGRUPPER[sequence % 2], "opprettetDato": at.isoformat()},
        }
    elif feed.name == "kuhr":
        item = {
            "hendelsesnummer": sequence,
            "type": "OPPRETTET",
            "innhold": {"personident": person.ident, "fkrId": f"FKR-{sequence:07d}"},
            "metadata": {"opprettetDato": at.isoformat()},
        }
    elif feed.name == "samordning.vedtak":
        item = {
            "ytelsesType": VEDTAK_YTELSESTYPER[sequence % len(VEDTAK_YTELSESTYPER)],
            "identifikator": person.ident,
            "vedtakId": str(40_000_000 + sequence),
            "samId": str(70_000_000 + sequence),
            "fom": day.isoformat(),
            "tom": None,
        }
    elif feed.name == "samordning.ytelser":
        item = {
            "sekvensnummer": sequence,
            "tpnr": tpnr,
            "identifikator": person.ident,
            "hendelseType": YTELSE_HENDELSETYPER[sequence % len(YTELSE_HENDELSETYPER)],
            "ytelseType": YTELSE_TYPER[sequence % len(YTELSE_TYPER)],
            "datoFom": day.isoformat(),
            "datoTom": None,
        }
    elif feed.name == "samordning.personer":
        item = {
            "sekvensnummer": sequence,
            "tpnr": tpnr,
            "fnr": person.ident,
            "sivilstand": SIVILSTANDER[sequence % len(SIVILSTANDER)],
            "sivilstandDato": day.isoformat(),
            "meldingskode": "SIVILSTAND",
        }
    else:
        item = {
            "sekvensnummer": sequence,
            "tpnr": tpnr,
            "fnr": person.ident,
            "samId": str(70_000_000 + sequence),
            "svarfrist": (day + timedelta(days=30)).isoformat(),
        }
    return item


@dataclass
class EventLog:
    feed: Feed
    tpnr: str | None
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    next_sequence: int = 1
    per_second: float = 0.0
    rate_since: float = 0.0
    rate_made: int = 0
    rate_limit: int | None = None
    made: int = 0
    hidden: int = 0
    """Rows made to appear by `renumber` so far (each gets an item of its own)."""

    @property
    def highest(self) -> int:
        return self.events[-1][0] if self.events else 0

    def append(self, count: int) -> None:
        for _ in range(count):
            # Positions repeat after a renumbering; an item made later is still a new one.
            self.made += 1
            seed = self.made if self.feed.sequence_field is None else self.next_sequence
            self.events.append((self.next_sequence, make_item(self.feed, seed, self.tpnr)))
            self.next_sequence += 1

    def renumber(self, at: int, delete: int, insert: int) -> None:
        """As NAV's ROW_NUMBER() over a changed set of rows: `delete` rows from position `at` on
        are gone, `insert` rows that were filtered out appear there, and every position after
        them moves. The log's highest number goes down or up with them."""
        items = [item for _, item in self.events]
        index = at - 1
        self.hidden += insert
        appeared = [make_item(self.feed, 1_000_000 + self.hidden - k, self.tpnr) for k in range(insert)]
        items[index : index + delete] = appeared
        self.events = [(number, item) for number, item in enumerate(items, 1)]
        self.next_sequence = len(items) + 1

    def catch_up(self, now: float) -> None:
        if self.per_second <= 0:
            return
        due = int((now - self.rate_since) * self.per_second)
        if self.rate_limit is not None:
            due = min(due, self.rate_limit)
        self.append(due - self.rate_made)
        self.rate_made = max(self.rate_made, due)

    def from_number(self, start: int) -> int:
        """Index of the first event numbered `start` or above."""
        lo, hi = 0, len(self.events)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.events[mid][0] < start:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def summary(self) -> dict[str, Any]:
        return {
            "feed": self.feed.name,
            "tpnr": self.tpnr,
            "count": len(self.events),
            "highest": self.highest,
            "per_second": self.per_second,
        }
