"""The table of NAV event feeds: the one place that says how a feed is read.

The bridge's feed client, the NAV sandbox's feed routes and docs' tables are all driven
from `FEEDS`. Every feed is read the same way: ask for up to `page_size` items from a sequence
number on, publish them, ask again from the number after the last one.

How an item's sequence number is known differs:
- `Sequencing.ITEM`: the item names it (`sequence_field`);
- `Sequencing.POSITION`: Samordning's vedtak feed has no per-item number. NAV numbers a tpnr's
  rows 1, 2, 3, ... and serves them by offset (`sekvensnummer + side*antall - 1`), so the item
  at `index` of a page asked for with `sekvensnummer`, `side` and `antall` has the number
  `sekvensnummer + side*antall + index` (`Feed.position`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from nav_lookup_contracts._wire import NavModel
from nav_lookup_contracts.nav.hendelser import (
    KuhrFkrHendelse,
    KuhrFkrHendelserSide,
    ManglendeRefusjonskravHendelse,
    PersonHendelse,
    SamordningSide,
    Trygdehendelse,
    TrygdehendelserSide,
    VedtakHendelse,
    YtelseHendelse,
)
from nav_lookup_contracts.operations import Api
from nav_lookup_contracts.topics import EVENTS_TOPIC_PREFIX


class Sequencing(StrEnum):
    ITEM = "item"
    POSITION = "position"


@dataclass(frozen=True)
class FeedParams:
    """The query parameters NAV reads, by role; None where the feed has no such parameter."""

    start: str
    """The first sequence number wanted ("fra og med")."""
    page_size: str
    page: str | None = None
    """Samordning's `side`; the bridge always asks for side 0 and moves `start` instead."""
    tpnr: str | None = None
    filter: str | None = None
    """Trygdehendelser's `hjemmelgruppe`."""


@dataclass(frozen=True)
class Feed:
    name: str
    api: Api
    scope: str
    path: str
    params: FeedParams
    page_model: type[NavModel]
    item_model: type[NavModel]
    sequence_field: str | None
    """The item's own sequence number; None: the number is the item's position."""
    ident_field: tuple[str, ...]
    """Where the item holds the person's ident (the Kafka key), as a path of field names."""
    max_page_size: int
    default_page_size: int
    per_tpnr: bool = False
    highest_field: str | None = None
    """The page's field with NAV's highest sequence number for the feed (samordning's total)."""
    page_last_field: str | None = None
    """The page's field with the number of its last item; trusted only on a non-empty page."""
    filter_all: str | None = None
    """The filter value that filters nothing; with any other filter, numbers have gaps."""
    optional_sequence_field: str | None = None
    """A POSITION feed's field for NAV's own per-item number, once NAV serves one: where every
    item of a page has it, the page is numbered by it instead of by position."""
    identity_fields: tuple[str, ...] = ()
    """A POSITION feed's fields that tell its items apart: a known position holding an item of
    another identity means NAV has renumbered the feed."""
    items_field: str = "hendelser"
    first_sequence: int = 1
    inferred: str = ""
    """What of the row NAV's public material does not confirm; empty: the row is confirmed."""
    source: str = ""
    """Where the row was read: NAV's repository, file and commit, or the portal page."""

    @property
    def status(self) -> str:
        return "inferred" if self.inferred else "confirmed"

    @property
    def sequencing(self) -> Sequencing:
        return Sequencing.POSITION if self.sequence_field is None else Sequencing.ITEM

    def feed_id(self, tpnr: str | None = None) -> str:
        """The id of one configured feed: its checkpoint key, `nav-feed` header and topic suffix."""
        if self.per_tpnr != (tpnr is not None):
            raise ValueError(f"feed {self.name} {'needs' if self.per_tpnr else 'takes no'} tpnr")
        return self.name if tpnr is None else f"{self.name}.{tpnr}"

    def default_topic(self, tpnr: str | None = None) -> str:
        return EVENTS_TOPIC_PREFIX + self.feed_id(tpnr)

    @staticmethod
    def position(start: int, side: int, page_size: int, index: int) -> int:
        return start + side * page_size + index

    def sequence_of(self, item: NavModel) -> int | None:
        """The item's own number; None for a POSITION feed (the caller knows the position)
        unless the item carries NAV's optional per-item number."""
        field = self.sequence_field or self.optional_sequence_field
        if field is None:
            return None
        value = getattr(item, field, None)
        assert value is None or isinstance(value, int)
        return value

    def ident_of(self, item: NavModel) -> str | None:
        value: object = item
        for name in self.ident_field:
            value = getattr(value, name, None)
        return value if isinstance(value, str) and value else None


TRYGDEHENDELSER = Api(
    "trygdehendelser",
    "Helse Trygdehendelser",
    "https://api.nav.no/helse/v1/trygdehendelser",
    subscription_key=True,
)
KUHR = Api(
    "kuhrfkrhendelse",
    "Helserefusjon KUHR FKR hendelser",
    "https://api.helserefusjon.no/v1/kuhrfkrhendelse",
    subscription_key=True,
)
SAMORDNING = Api(
    "samordning", "Pensjon Samordningspliktige Hendelser", "https://pensjon-gw.nav.no/samordning"
)

FEED_APIS: tuple[Api, ...] = (TRYGDEHENDELSER, KUHR, SAMORDNING)

REQUESTS_PER_MINUTE: Mapping[str, int] = MappingProxyType({SAMORDNING.key: 100})
"""NAV's rate limits by API key, for each endpoint (path) of the API on its own: pensjon-gw's
KrakenD allows 100 requests a minute per endpoint, shared by every caller of NAV."""

BUSY_503_APIS: frozenset[str] = frozenset({SAMORDNING.key})
"""APIs whose gateway answers 503, not 429, over its limit (pensjon-gw's KrakenD, per endpoint and
shared by every caller of NAV): there a 503 means "slow down", not an outage."""


def _samordning(
    name: str,
    path: str,
    item_model: type[NavModel],
    sequence_field: str | None,
    ident: str,
    source: str,
    inferred: str = "",
    **positional: Any,
) -> Feed:
    # The four samordning feeds differ only in path and item: same parameters, same `Feed<T>`.
    return Feed(
        name=f"samordning.{name}",
        api=SAMORDNING,
        scope="nav:pensjon/v1/samordning",
        path=path,
        params=FeedParams(start="sekvensnummer", page_size="antall", page="side", tpnr="tpnr"),
        page_model=SamordningSide[item_model],  # type: ignore[valid-type]
        item_model=item_model,
        sequence_field=sequence_field,
        ident_field=(ident,),
        max_page_size=10_000,
        default_page_size=1000,
        per_tpnr=True,
        highest_field="sisteSekvensnummer",
        page_last_field="sisteLesteSekvensnummer",
        inferred=inferred,
        source=(
            f"navikt/samordning-hendelse-api @6b5c6d7 {source}; limit: nais/apiendpoints krakend-prod.yaml"
        ),
        **positional,
    )


FEEDS: tuple[Feed, ...] = (
    Feed(
        name="trygdehendelser",
        api=TRYGDEHENDELSER,
        scope="nav:helse/v1/trygdehendelser",
        path="/hendelser",
        params=FeedParams(start="fraHendelsesnummer", page_size="antall", filter="hjemmelgruppe"),
        page_model=TrygdehendelserSide,
        item_model=Trygdehendelse,
        sequence_field="hendelsesnummer",
        ident_field=("innhold", "personident"),
        max_page_size=100,
        default_page_size=100,
        filter_all="ALLE",
        inferred="path and parameter names (only their descriptions are public)",
        source="NAV API portal, nav-helse-v1-trygdehendelser",
    ),
    Feed(
        name="kuhr",
        api=KUHR,
        scope="nav:helserefusjon/v1/kuhrfkrhendelse",
        path="/hendelser",
        params=FeedParams(start="fraHendelsesnummer", page_size="antall"),
        page_model=KuhrFkrHendelserSide,
        item_model=KuhrFkrHendelse,
        sequence_field="hendelsesnummer",
        ident_field=("innhold", "personident"),
        max_page_size=100,
        default_page_size=100,
        inferred="everything: NAV publishes no contract; modelled like Trygdehendelser",
        source=(
            "nothing public; host as NAV's other helserefusjon APIs "
            "(navikt/kuhr-krav-api-dokumentasjon @3efbfb1)"
        ),
    ),
    _samordning(
        "vedtak",
        "/hendelser/vedtak",
        VedtakHendelse,
        None,
        "identifikator",
        "FeedController.kt (positions renumbered by NAV in 917a4ab and e7d3c41)",
        inferred="item numbers: NAV's items have none; derived from their position",
        optional_sequence_field="sekvensnummer",
        identity_fields=("vedtakId", "ytelsesType", "fom"),
    ),
    _samordning(
        "ytelser",
        "/hendelser/ytelser",
        YtelseHendelse,
        "sekvensnummer",
        "identifikator",
        "YtelseController.kt",
    ),
    _samordning(
        "personer", "/hendelser/personer", PersonHendelse, "sekvensnummer", "fnr", "PersonFeedController.kt"
    ),
    _samordning(
        "manglende-refusjonskrav",
        "/hendelser/manglendeRefusjonskrav",
        ManglendeRefusjonskravHendelse,
        "sekvensnummer",
        "fnr",
        "ManglendeRefusjonFeedController.kt",
    ),
)

FEEDS_BY_NAME: Mapping[str, Feed] = MappingProxyType({feed.name: feed for feed in FEEDS})


def parse_feed_id(feed_id: str) -> tuple[Feed, str | None]:
    """The table row and tpnr a feed id names, e.g. "samordning.vedtak.3010"; ValueError if none."""
    if feed_id in FEEDS_BY_NAME and not FEEDS_BY_NAME[feed_id].per_tpnr:
        return FEEDS_BY_NAME[feed_id], None
    name, _, tpnr = feed_id.rpartition(".")
    feed = FEEDS_BY_NAME.get(name)
    if feed is None or not feed.per_tpnr or not (tpnr.isdigit() and len(tpnr) <= 4):
        raise ValueError(f"not a feed id: {feed_id!r} (a feed name, with .TPNR for samordning)")
    return feed, tpnr
