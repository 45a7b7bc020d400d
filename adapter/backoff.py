"""Exponential backoff with full jitter: spreads a herd of retries evenly instead of in waves."""

from collections.abc import Callable


def full_jitter(attempt: int, *, base: float, cap: float, rng: Callable[[], float]) -> float:
    """A random wait in [0, min(cap, base * 2**attempt))."""
    return float(rng() * min(cap, base * 2**attempt))
