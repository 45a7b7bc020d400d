"""Operators' tools: copy a range of a topic to another, and re-drive dead letters."""
