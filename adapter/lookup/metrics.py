"""Prometheus metrics of the lookups. Labels are operations, outcomes, reasons and topics: never
an ident, a token or a request id.

Counters are updated where things happen; gauges that mirror state (in flight, consumer lag) are
read from their owners at scrape time. NAV latency, circuits and tokens are `adapter.nav.metrics`.
"""

from collections.abc import Callable, Iterable, Mapping

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class LookupMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._lookups = Counter(
            "nav_adapter_lookups",
            "Lookups by operation and outcome (ok or an error code).",
            ["operation", "outcome"],
            registry=registry,
        )
        self._dead_letters = Counter(
            "nav_adapter_dead_letters",
            "Messages sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=registry,
        )

    def lookup_done(self, operation: str | None, outcome: str) -> None:
        self._lookups.labels(operation or "unknown", outcome).inc()

    def dead_letter(self, reason: str) -> None:
        self._dead_letters.labels(reason).inc()

    def watch(self, *, in_flight: Callable[[], int], lag: Callable[[], Mapping[TopicPartition, int]]) -> None:
        """Read lookups in flight and consumer lag on every scrape."""
        self.registry.register(_LookupState(in_flight, lag))


class _LookupState(Collector):
    def __init__(self, in_flight: Callable[[], int], lag: Callable[[], Mapping[TopicPartition, int]]) -> None:
        self._in_flight = in_flight
        self._lag = lag

    def collect(self) -> Iterable[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "nav_adapter_lookups_in_flight", "Lookups in flight.", value=self._in_flight()
        )
        lag = GaugeMetricFamily(
            "nav_adapter_consumer_lag",
            "Messages not yet consumed, per partition.",
            labels=["topic", "partition"],
        )
        for tp, behind in self._lag().items():
            lag.add_metric([tp.topic, str(tp.partition)], behind)
        yield lag
