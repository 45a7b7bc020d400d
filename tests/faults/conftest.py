"""Fixtures of the fault tests that cut or freeze the broker connection."""

from collections.abc import Iterator

import pytest

from devtools.embedded_broker import EmbeddedBroker, free_port


@pytest.fixture
def proxied_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[EmbeddedBroker, int]]:
    # A broker of its own, advertised at the proxy's port, so every client goes through the proxy.
    # It is Tansu whatever the suite runs on, and every client here must be told so.
    monkeypatch.setenv("KAFKA_BROKER_KIND", "tansu")
    proxy_port = free_port()
    with EmbeddedBroker(advertised_port=proxy_port) as broker:
        yield broker, proxy_port
