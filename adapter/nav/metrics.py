"""Prometheus metrics of the NAV connection, in the registry of the role that owns it: NAV call
latency by API and status, each API's circuit, and the token cache. Labels are APIs, statuses and
scopes: never an ident, a token or a call id."""

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from adapter.nav.breaker import CircuitBreaker, CircuitState
from adapter.nav.tokens import TokenCache

_CIRCUIT_VALUE = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


class NavMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._nav_seconds = Histogram(
            "nav_adapter_nav_request_seconds",
            "NAV HTTP calls by API and status (or error kind).",
            ["api", "status"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def nav_call(self, api: str, status: str, seconds: float) -> None:
        self._nav_seconds.labels(api, status).observe(seconds)

    def watch(self, breakers: Mapping[str, CircuitBreaker], tokens: TokenCache) -> None:
        """Read the circuits and the token cache on every scrape."""
        self._registry.register(_NavState(breakers, tokens))


class _NavState(Collector):
    def __init__(self, breakers: Mapping[str, CircuitBreaker], tokens: TokenCache) -> None:
        self._breakers = breakers
        self._tokens = tokens

    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
        circuits = GaugeMetricFamily(
            "nav_adapter_circuit_state", "Circuit per NAV API: 0 closed, 1 half-open, 2 open.", labels=["api"]
        )
        for api, breaker in self._breakers.items():
            circuits.add_metric([api], _CIRCUIT_VALUE[breaker.state])
        yield circuits
        fetches = CounterMetricFamily(
            "nav_adapter_token_fetches", "Maskinporten token fetches.", labels=["scope"]
        )
        hits = CounterMetricFamily(
            "nav_adapter_token_cache_hits", "Tokens served from the cache.", labels=["scope"]
        )
        failures = CounterMetricFamily(
            "nav_adapter_token_fetch_failures",
            "Maskinporten token fetches that failed (refused, unreadable or unanswered).",
            labels=["scope"],
        )
        for scope, count in self._tokens.failures.items():
            failures.add_metric([scope], count)
        for scope, count in self._tokens.fetches.items():
            fetches.add_metric([scope], count)
        for scope, count in self._tokens.hits.items():
            hits.add_metric([scope], count)
        yield fetches
        yield failures
        yield hits
