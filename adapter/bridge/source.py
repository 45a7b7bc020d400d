"""Reading one page of a feed from NAV: the HTTP request the table describes, and its answer as
plain items with their sequence numbers.

`parse_page` is pure; `FeedSource.fetch` makes one attempt and raises a `NavError` (the bridge
decides about retrying). Requests go out through the shared `NavSender` (pooled transport, token cache).
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from adapter.bridge.feed import ConfiguredFeed
from adapter.bridge.pacing import RateLimiter
from adapter.nav.calls import retry_after_seconds
from adapter.nav.client import ApiEndpoint, map_transport_errors, nav_headers
from adapter.nav.errors import NavContractError, NavError, NavRejected, NavUnavailable
from adapter.nav.sender import NavSender
from contracts.feeds import Feed, Sequencing
from contracts.replies import ErrorCode


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
    full: bool
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
        where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors()[:5])
        raise NavContractError(
            f"feed {feed.id}: NAV's page does not match the contract at {where}", http_status=200
        ) from None
    models = getattr(page, table.items_field)
    raws = raw.get(table.items_field) or []
    items = []
    for index, (model, raw_item) in enumerate(zip(models, raws, strict=True)):
        sequence = table.sequence_of(model)
        if sequence is None:
            sequence = Feed.position(start, side, feed.page_size, index)
        items.append(FeedItem(sequence, table.ident_of(model), raw_item))
    highest = getattr(page, table.highest_field) if table.highest_field else None
    # NAV's "last read" is 1 or the total on an empty page: only a non-empty page's is real.
    reported_last = getattr(page, table.page_last_field) if table.page_last_field and items else None
    return Page(
        start=start,
        items=tuple(items),
        full=len(items) >= feed.page_size,
        positional=table.sequencing is Sequencing.POSITION,
        highest=highest,
        reported_last=reported_last,
    )


def answer_error(feed_id: str, status: int, headers: Mapping[str, str]) -> NavError:
    if status == 429 or status >= 500:
        code = ErrorCode.RATE_LIMITED if status == 429 else ErrorCode.UPSTREAM_UNAVAILABLE
        return NavUnavailable(
            code,
            f"feed {feed_id}: NAV answered {status}",
            http_status=status,
            retry_after=retry_after_seconds(headers),
        )
    code = {401: ErrorCode.UNAUTHORIZED, 403: ErrorCode.FORBIDDEN}.get(status, ErrorCode.INVALID_REQUEST)
    return NavRejected(code, f"feed {feed_id}: NAV answered {status}", http_status=status)


class FeedSource:
    def __init__(
        self,
        *,
        feed: ConfiguredFeed,
        sender: NavSender,
        endpoint: ApiEndpoint,
        consumer_id: str,
        limiter: RateLimiter | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._feed = feed
        self._sender = sender
        self._url = endpoint.base_url.rstrip("/") + feed.path
        self._key = endpoint.subscription_key
        self._consumer_id = consumer_id
        self._limiter = limiter
        self._timeout = timeout

    def _params(self, start: int) -> tuple[tuple[str, str], ...]:
        wire = self._feed.params
        params = [(wire.start, str(start)), (wire.page_size, str(self._feed.page_size))]
        if wire.page is not None:
            params.append((wire.page, "0"))
        if wire.tpnr is not None and self._feed.tpnr is not None:
            params.append((wire.tpnr, self._feed.tpnr))
        if wire.filter is not None and self._feed.filter is not None:
            params.append((wire.filter, self._feed.filter))
        return tuple(params)

    async def fetch(self, start: int) -> Page:
        """One page from `start` on; raises NavError."""
        if self._limiter is not None:
            await self._limiter.acquire()
        headers = nav_headers(str(uuid.uuid4()), self._consumer_id, self._key)
        try:
            answer = await self._sender.send(
                "GET",
                self._url,
                scope=self._feed.feed.scope,
                params=self._params(start),
                headers=headers,
                timeout=self._timeout,
            )
        except Exception as exc:
            mapped = map_transport_errors(exc, f"feed {self._feed.id}")
            if mapped is None:
                raise
            raise mapped from None
        if answer.status != 200:
            raise answer_error(self._feed.id, answer.status, answer.headers)
        return parse_page(self._feed, start, answer.content)
