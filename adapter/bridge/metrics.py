"""The bridge's Prometheus metrics, in the registry of its process. The only label is the feed id
(feed name and tpnr) and a kind: no person."""

from prometheus_client import CollectorRegistry, Counter, Gauge


class BridgeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.published = Counter(
            "nav_bridge_records_published",
            "Records written to a feed's topic.",
            ["feed", "kind"],
            registry=registry,
        )
        self.discontinuities = Counter(
            "nav_bridge_discontinuities",
            "Gaps and steps back in NAV's sequence numbers.",
            ["feed", "kind"],
            registry=registry,
        )
        self.fetch_failures = Counter(
            "nav_bridge_fetch_failures", "Failed requests for a page of a feed.", ["feed"], registry=registry
        )
        self.rate_limited = Counter(
            "nav_bridge_rate_limited",
            "Pages NAV refused over its rate limit (429; pensjon-gw: 503): a slow-down, not a failure.",
            ["feed"],
            registry=registry,
        )
        self.backoff_seconds = Counter(
            "nav_bridge_backoff_seconds",
            "Seconds waited before asking NAV again after a refused page, by kind (rate_limited, failure).",
            ["feed", "kind"],
            registry=registry,
        )
        self.publish_failures = Counter(
            "nav_bridge_publish_failures",
            "Pages whose publishing or checkpoint failed.",
            ["feed"],
            registry=registry,
        )
        self.position = Gauge(
            "nav_bridge_position", "The last sequence number checkpointed.", ["feed"], registry=registry
        )
        self.nav_highest = Gauge(
            "nav_bridge_nav_highest",
            "NAV's highest sequence number, where NAV says.",
            ["feed"],
            registry=registry,
        )
        self.active = Gauge(
            "nav_bridge_active", "1 while this process holds the feed's lease.", ["feed"], registry=registry
        )
        self.halted = Gauge(
            "nav_bridge_halted",
            "1 while the feed is halted by the continuity policy.",
            ["feed"],
            registry=registry,
        )
