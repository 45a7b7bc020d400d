"""Reading one page of a feed from NAV: the request the table describes, under the API's rate
limit, through the shared `NavClient` (pooled transport, token cache, circuit breaker, span and
latency metric). One attempt: a failure is a `NavError`, and the bridge decides about retrying."""

from adapter.bridge.feed import ConfiguredFeed
from adapter.bridge.page import Page, parse_page
from adapter.nav.client import NavClient
from adapter.token_bucket import TokenBucket


class FeedSource:
    def __init__(self, *, feed: ConfiguredFeed, nav: NavClient, limiter: TokenBucket | None = None) -> None:
        self._feed = feed
        self._nav = nav
        self._limiter = limiter
        self._name = f"feed {feed.id}"

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
        body = await self._nav.get_page(
            self._feed.feed.api.key,
            self._name,
            self._feed.path,
            scope=self._feed.feed.scope,
            params=self._params(start),
        )
        return parse_page(self._feed, start, body)
