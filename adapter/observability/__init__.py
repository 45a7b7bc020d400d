"""Metrics, health and tracing: how operators see the adapter."""
