"""The NAV Kafka adapter: lookups over Kafka against NAV's REST APIs."""
