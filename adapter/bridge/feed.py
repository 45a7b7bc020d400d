"""One configured feed: a row of `nav_lookup_contracts.feeds.FEEDS` with this deployment's choices applied."""

from dataclasses import dataclass, replace
from typing import Literal

from nav_lookup_contracts.feeds import Feed, FeedParams

ContinuityPolicy = Literal["halt", "gap-record"]


@dataclass(frozen=True)
class ConfiguredFeed:
    feed: Feed
    tpnr: str | None
    topic: str
    page_size: int
    path: str
    params: FeedParams
    filter: str | None = None
    gaps_expected: bool = False
    """NAV's numbers skip by design (a filter is on): only a step back is a discontinuity."""

    @property
    def id(self) -> str:
        return self.feed.feed_id(self.tpnr)

    @classmethod
    def of(
        cls,
        feed: Feed,
        *,
        tpnr: str | None = None,
        topic: str | None = None,
        page_size: int | None = None,
        path: str | None = None,
        params: dict[str, str] | None = None,
        filter: str | None = None,
        gaps_expected: bool | None = None,
    ) -> "ConfiguredFeed":
        """The table's row, with the inferred parts (path, parameter names) overridable."""
        size = page_size or feed.default_page_size
        if not 1 <= size <= feed.max_page_size:
            raise ValueError(f"feed {feed.name}: page size must be 1..{feed.max_page_size}")
        if filter is not None and feed.params.filter is None:
            raise ValueError(f"feed {feed.name} has no filter parameter")
        try:
            wire = replace(feed.params, **(params or {}))
        except TypeError:
            raise ValueError(
                f"feed {feed.name}: params may rename start, page_size, page, tpnr, filter"
            ) from None
        return cls(
            feed=feed,
            tpnr=tpnr,
            topic=topic or feed.default_topic(tpnr),
            page_size=size,
            path=path or feed.path,
            params=wire,
            filter=filter,
            gaps_expected=(
                gaps_expected if gaps_expected is not None else filter not in (None, feed.filter_all)
            ),
        )
