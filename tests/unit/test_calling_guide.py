"""docs/calling.md says what every error code of the contracts asks of a caller, and whether it
is retryable as the contracts say."""

import json
import re
from importlib.resources import files
from pathlib import Path

from nav_lookup_contracts import RETRYABLE_CODES, ErrorCode

GUIDE = Path(__file__).parents[2] / "docs" / "calling.md"
ROW = re.compile(r"^\| `([A-Z_]+)` \| (yes|no) \| [^|]+ \| [^|]+ \|$", re.M)


def _rows() -> dict[str, bool]:
    rows = ROW.findall(GUIDE.read_text())
    assert len(rows) == len({code for code, _ in rows}), "a code has two rows"
    return {code: retryable == "yes" for code, retryable in rows}


def test_every_error_code_of_the_contracts_has_its_row_in_the_guide() -> None:
    schema = json.loads(files("nav_lookup_contracts").joinpath("schemas/error-reply.json").read_text())
    published = set(schema["$defs"]["ErrorCode"]["enum"])
    assert published == {c.value for c in ErrorCode}
    assert set(_rows()) == published


def test_the_guide_calls_retryable_exactly_the_codes_the_contracts_call_retryable() -> None:
    assert {code for code, retryable in _rows().items() if retryable} == {c.value for c in RETRYABLE_CODES}
