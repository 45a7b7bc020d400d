"""Synthetic idents with real control digits, by the rules `nav_lookup_contracts.ident` checks."""

from datetime import date

from nav_lookup_contracts.ident import check_ident

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = 11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11
    return None if remainder == 10 else remainder % 11


def synthetic_ident(born: date, individnummer: int, *, d_nummer: bool = False) -> str:
    """The first valid NAV-synthetic ident for `born` with individnummer `individnummer` or above.

    The caller picks an individnummer range that fits the century (000-499 for 1900-1999,
    500-999 for 2000-2039); `check_ident` rejects anything else.
    """
    day = born.day + (40 if d_nummer else 0)
    for number in range(individnummer, min(individnummer + 100, 1000)):
        stem = f"{day:02d}{born.month + 40:02d}{born.year % 100:02d}{number:03d}"
        k1 = _control_digit(stem, _K1_WEIGHTS)
        k2 = None if k1 is None else _control_digit(f"{stem}{k1}", _K2_WEIGHTS)
        if k2 is not None:
            ident = f"{stem}{k1}{k2}"
            check_ident(ident, allow_synthetic=True)
            return ident
    raise ValueError("no individnummer in range gives valid control digits")
