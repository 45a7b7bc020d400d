"""A page of a feed as the bridge sees it: NAV's answer parsed into items with their sequence
numbers (pure; the wrong shape is a NavContractError naming fields, never values)."""

import hashlib
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
    identity: str | None = None
    """For a feed numbered by position: a digest of the fields that tell items apart."""


def identity_of(fields: tuple[str, ...], raw: Mapping[str, Any]) -> str | None:
    """A digest of the item's identity fields (no personal data goes in: NAV's ids and codes)."""
    if not fields:
        return None
    joined = "\x1f".join(str(raw.get(name)) for name in fields)
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


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
    own = [table.sequence_of(model) for model in models]
    # A POSITION feed whose items all carry NAV's own number is numbered by it.
    positional = table.sequencing is Sequencing.POSITION and (not own or None in own)
    items = []
    for index, (model, raw_item, number) in enumerate(zip(models, raws, own, strict=True)):
        sequence = (
            Feed.position(start, side, feed.page_size, index) if positional or number is None else number
        )
        items.append(
            FeedItem(sequence, table.ident_of(model), raw_item, identity_of(table.identity_fields, raw_item))
        )
    if not positional:
        # Samordning's numbered feeds have no ORDER BY: order by NAV's numbers before any check.
        items.sort(key=lambda item: item.sequence)
    highest = getattr(page, table.highest_field) if table.highest_field else None
    # NAV's "last read" is 1 on an empty page (`?: 1`): only a non-empty page's is real.
    reported_last = getattr(page, table.page_last_field) if table.page_last_field and items else None
    return Page(
        start=start,
        items=tuple(items),
        full=len(items) >= feed.page_size,
        positional=positional,
        highest=highest,
        reported_last=reported_last,
    )
