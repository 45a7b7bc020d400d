"""Pydantic's validation errors as short text that never echoes the input (it may be an ident)."""

from pydantic import ValidationError


def problem_locations(exc: ValidationError) -> list[str]:
    """Where each problem is, as dotted paths: all that may be said of a NAV body."""
    return [".".join(map(str, e["loc"])) for e in exc.errors(include_input=False, include_url=False)]


def problems(exc: ValidationError, *, empty_location: str = "(message)") -> list[str]:
    """`where: what` for each problem, without the offending values."""
    return [
        f"{'.'.join(map(str, e['loc'])) or empty_location}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False, include_context=False)
    ]
