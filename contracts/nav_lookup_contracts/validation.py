"""Pydantic's validation errors as short text that never echoes the input (it may be an ident)."""

from collections.abc import Mapping, Sequence

from pydantic import ValidationError


def _where(loc: Sequence[int | str], rename: Mapping[str, str]) -> str:
    """A dotted path; its first step renamed as `rename` says (a field to its name on the wire)."""
    if not loc:
        return ""
    return ".".join([rename.get(str(loc[0]), str(loc[0])), *map(str, loc[1:])])


def problem_locations(exc: ValidationError) -> list[str]:
    """Where each problem is, as dotted paths: all that may be said of a NAV body."""
    return [_where(e["loc"], {}) for e in exc.errors(include_input=False, include_url=False)]


def problems(
    exc: ValidationError, *, empty_location: str = "(message)", rename: Mapping[str, str] | None = None
) -> list[str]:
    """`where: what` for each problem, without the offending values."""
    return [
        f"{_where(e['loc'], rename or {}) or empty_location}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False, include_context=False)
    ]
