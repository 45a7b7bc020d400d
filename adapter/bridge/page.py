"""A page of a feed as the bridge sees it: NAV's answer parsed into items with their sequence
numbers (pure; the wrong shape is a NavContractError naming fields, never values)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from adapter.bridge.feed import ConfiguredFeed
from adapter.nav.errors import NavContractError, contract_error
from nav_lookup_contracts.feeds import Feed, Sequencing


@dataclass(frozen=True)
class FeedItem:
    sequence: int
    ident: str | None
    raw: Mapping[str, Any]
    """The item as NAV served it; published as is."""


@dataclass(frozen=True)
class Page:
    start: int
    items: tuple[FeedItem, ...]
    """In number order, whatever order NAV served them in."""
    full: bool
    """As many items as asked for or more (samordning may answer `antall + 1`): ask again at once."""
    positional: bool
    """The items' numbers are their positions (samordning.vedtak), not NAV's own."""
    highest: int | None = None
    """NAV's highest number for the feed, where the page says (samordning's sisteSekvensnummer)."""
    reported_last: int | None = None
    """NAV's number for the page's last item (sisteLesteSekvensnummer); None on an empty page."""


def parse_page(feed: ConfiguredFeed, start: int, body: bytes, *, side: int = 0) -> Page:
    """NAV's page as items with numbers, or NavContractError (naming fields, never values)."""
    table = feed.feed
    try:
        raw = orjson.loads(body)
        page = table.page_model.model_validate(raw)
    except orjson.JSONDecodeError:
        raise NavContractError(f"feed {feed.id}: NAV's page is not JSON", http_status=200) from None
    except ValidationError as exc:
        raise contract_error(f"feed {feed.id}", exc, 200) from None
    models = getattr(page, table.items_field)
    raws = raw.get(table.items_field) or []
    items = []
    for index, (model, raw_item) in enumerate(zip(models, raws, strict=True)):
        sequence = table.sequence_of(model)
        if sequence is None:
            sequence = Feed.position(start, side, feed.page_size, index)
        items.append(FeedItem(sequence, table.ident_of(model), raw_item))
    if table.sequencing is not Sequencing.POSITION:
        # Samordning's numbered feeds have no ORDER BY: order by NAV's numbers before any check.
        items.sort(key=lambda item: item.sequence)
    highest = getattr(page, table.highest_field) if table.highest_field else None
    # NAV's "last read" is 1 on an empty page (`?: 1`): only a non-empty page's is real.
    reported_last = getattr(page, table.page_last_field) if table.page_last_field and items else None
    return Page(
        start=start,
        items=tuple(items),
        full=len(items) >= feed.page_size,
        positional=table.sequencing is Sequencing.POSITION,
        highest=highest,
        reported_last=reported_last,
    )
