"""The bridge's Prometheus metrics. The only label is the feed id (feed name and tpnr): no person."""

from prometheus_client import Counter, Gauge

PUBLISHED = Counter("nav_bridge_records_published", "Records written to a feed's topic.", ["feed", "kind"])
DISCONTINUITIES = Counter(
    "nav_bridge_discontinuities", "Gaps and steps back in NAV's sequence numbers.", ["feed", "kind"]
)
FETCH_FAILURES = Counter("nav_bridge_fetch_failures", "Failed requests for a page of a feed.", ["feed"])
PUBLISH_FAILURES = Counter(
    "nav_bridge_publish_failures", "Pages whose publishing or checkpoint failed.", ["feed"]
)
POSITION = Gauge("nav_bridge_position", "The last sequence number checkpointed.", ["feed"])
NAV_HIGHEST = Gauge("nav_bridge_nav_highest", "NAV's highest sequence number, where NAV says.", ["feed"])
ACTIVE = Gauge("nav_bridge_active", "1 while this process holds the feed's lease.", ["feed"])
HALTED = Gauge("nav_bridge_halted", "1 while the feed is halted by the continuity policy.", ["feed"])
