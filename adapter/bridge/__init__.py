"""The event bridge: NAV's event feeds onto Kafka topics, one active bridge per feed."""
