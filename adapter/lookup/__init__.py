"""Lookups: request topics in, NAV calls, typed replies out."""
