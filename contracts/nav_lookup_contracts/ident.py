"""Fødselsnummer and D-nummer: validation and masking, with no personal data in any message.

Digits are DDMMYY III K1 K2. Rules (NAV's fnrvalidator and Skatteetaten):
- K1 from weights 3 7 6 1 8 9 4 5 2: classic `(S1 + K1) % 11 == 0`; numbers issued from 2032 may
  also have `(S1 + K1) % 11` in {1, 2, 3}, and must be accepted already.
- K2 from weights 5 4 3 2 7 6 5 4 3 2 (over the first ten digits): `(S2 + K2) % 11 == 0`.
- D-nummer: first digit + 4. Synthetic test persons: month + 40 (NAV/Dolly) or + 80 (Skatteetaten),
  accepted only when the validation context says `allow_synthetic`.
- The date must be a real calendar date in the century the individnummer gives.
"""

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

_ELEVEN_DIGITS = re.compile(r"[0-9]{11}")  # ASCII only: \d and int() also take other scripts' digits
_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


class IdentKind(StrEnum):
    FNR = "FNR"
    DNR = "DNR"


class InvalidIdent(ValueError):
    """Raised with a reason that never contains the ident itself."""


def _century(individnummer: int, yy: int) -> int | None:
    if individnummer <= 499:
        return 1900
    if individnummer <= 749 and yy >= 54:
        return 1800
    if individnummer >= 900 and yy >= 40:
        return 1900
    if individnummer >= 500 and yy <= 39:
        return 2000
    return None


def check_ident(value: str, *, allow_synthetic: bool = False) -> IdentKind:
    """Return the kind of a valid ident; raise InvalidIdent otherwise."""
    if not _ELEVEN_DIGITS.fullmatch(value):
        raise InvalidIdent("an ident is exactly 11 digits")
    digits = [int(c) for c in value]

    s1 = sum(w * d for w, d in zip(_K1_WEIGHTS, digits[:9], strict=True))
    k1 = digits[9]
    if (s1 + k1) % 11 not in (0, 1, 2, 3):
        raise InvalidIdent("first control digit is wrong")
    s2 = sum(w * d for w, d in zip(_K2_WEIGHTS, digits[:10], strict=True))
    if (s2 + digits[10]) % 11 != 0:
        raise InvalidIdent("second control digit is wrong")

    day, month, yy = int(value[0:2]), int(value[2:4]), int(value[4:6])
    kind = IdentKind.FNR
    if day > 40:
        day -= 40
        kind = IdentKind.DNR
    if month > 80:
        month -= 80
        synthetic = True
    elif month > 40:
        month -= 40
        synthetic = True
    else:
        synthetic = False
    if synthetic and not allow_synthetic:
        raise InvalidIdent("synthetic test idents are not accepted here")

    century = _century(int(value[6:9]), yy)
    if century is None:
        raise InvalidIdent("individnummer does not fit the birth year")
    try:
        date(century + yy, month, day)
    except ValueError:
        raise InvalidIdent("the birth date is not a calendar date") from None
    return kind


def mask_ident(value: str) -> str:
    """NAV's usual masking: birth date kept, individnummer and control digits hidden."""
    return value[:6] + "*****" if len(value) == 11 else "***"


def _validate(value: str, info: ValidationInfo) -> str:
    allow = bool(info.context.get("allow_synthetic")) if isinstance(info.context, dict) else False
    check_ident(value, allow_synthetic=allow)
    return value


Ident = Annotated[str, AfterValidator(_validate), Field(json_schema_extra={"pattern": "^[0-9]{11}$"})]
"""A fødselsnummer or D-nummer; synthetic ones only with context `{"allow_synthetic": True}`."""
