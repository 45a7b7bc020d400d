"""Kafka plumbing shared by the lookups and the bridge."""
