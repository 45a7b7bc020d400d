"""Prometheus metrics of the lookups. Labels are operations, APIs, outcomes, scopes and topics:
never an ident, a token or a request id.

Counters and histograms are updated where things happen; gauges that mirror state (in flight,
consumer lag, circuits, token cache) are read from their owners at scrape time.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from adapter.nav.breaker import CircuitBreaker, CircuitState
from adapter.nav.tokens import TokenCache

if TYPE_CHECKING:  # the consumer module imports the service, which imports this one
    from adapter.lookup.consumer import LookupConsumer

_CIRCUIT_VALUE = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


class LookupMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._lookups = Counter(
            "nav_adapter_lookups",
            "Lookups by operation and outcome (ok or an error code).",
            ["operation", "outcome"],
            registry=registry,
        )
        self._nav_seconds = Histogram(
            "nav_adapter_nav_request_seconds",
            "NAV HTTP calls by API and status (or error kind).",
            ["api", "status"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self._dead_letters = Counter(
            "nav_adapter_dead_letters",
            "Messages sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=registry,
        )

    def lookup_done(self, operation: str | None, outcome: str) -> None:
        self._lookups.labels(operation or "unknown", outcome).inc()

    def nav_call(self, api: str, status: str, seconds: float) -> None:
        self._nav_seconds.labels(api, status).observe(seconds)

    def dead_letter(self, reason: str) -> None:
        self._dead_letters.labels(reason).inc()


class StateCollector(Collector):
    """Reads the live state of the adapter's parts on each scrape."""

    def __init__(
        self,
        *,
        in_flight: Callable[[], int],
        consumers: Callable[[], Iterable["LookupConsumer"]],
        breakers: Mapping[str, CircuitBreaker],
        tokens: TokenCache,
    ) -> None:
        self._in_flight = in_flight
        self._consumers = consumers
        self._breakers = breakers
        self._tokens = tokens

    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
        yield GaugeMetricFamily(
            "nav_adapter_lookups_in_flight", "Lookups in flight.", value=self._in_flight()
        )
        lag = GaugeMetricFamily(
            "nav_adapter_consumer_lag",
            "Messages not yet consumed, per partition.",
            labels=["topic", "partition"],
        )
        for consumer in self._consumers():
            for tp, behind in consumer.lag().items():
                lag.add_metric([tp.topic, str(tp.partition)], behind)
        yield lag
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
        for scope, count in self._tokens.fetches.items():
            fetches.add_metric([scope], count)
        for scope, count in self._tokens.hits.items():
            hits.add_metric([scope], count)
        yield fetches
        yield hits
