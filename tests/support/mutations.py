"""Random and mutated lookup messages: a seeded generator shared by the fuzz tests."""

import random
import uuid
from typing import Any

import orjson

from nav_lookup_contracts import OPERATIONS
from nav_sandbox import PEOPLE, consent_of

_IDENTS = [p.ident for p in PEOPLE]
_BAD_IDENTS = ["13097248032", "1234567890", "abcdefghijk", "", "0" * 11, "9" * 11, "13097248022" * 100]
_JUNK_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    2**70,
    1.5e308,
    "",
    "x" * 100_000,
    [],
    {},
    [1, [2, [3]]],
    {"a": {"b": {"c": None}}},
    "\u0000\ud7ff\U0001f600",
    "2020-13-45",
]


def valid_request(rng: random.Random) -> dict[str, Any]:
    """A request the adapter must answer with `ok` (for the sandbox's synthetic people)."""
    ident = rng.choice(_IDENTS)
    choice = rng.randrange(3)
    base = {"request_id": str(uuid.uuid4())}
    if choice == 0:
        return {**base, "operation": "frikort.brev", "scope": "nav:helserefusjon/v1/frikort", "ident": ident}
    if choice == 1:
        return {
            **base,
            "operation": "medlemskapsunntak.search",
            "scope": "nav:helse/v1/medlemskapsunntak",
            "ident": ident,
        }
    return {
        **base,
        "operation": "aap.vedtak",
        "scope": "nav:arbeid/v1/aap",
        "ident": ident,
        "consent_id": str(consent_of(ident).id),
    }


def _mutate(body: dict[str, Any], rng: random.Random) -> Any:
    body = dict(body)
    kind = rng.randrange(10)
    fields = list(body)
    if kind == 0 and fields:
        body.pop(rng.choice(fields))
    elif kind == 1 and fields:
        body[rng.choice(fields)] = rng.choice(_JUNK_VALUES)
    elif kind == 2:
        body["ident"] = rng.choice(_BAD_IDENTS)
    elif kind == 3:
        body["scope"] = rng.choice([op.scope for op in OPERATIONS] + ["nav:unknown", ""])
    elif kind == 4:
        body["operation"] = rng.choice([op.name for op in OPERATIONS] + ["drop.tables", "", None])
    elif kind == 5:
        body[rng.choice(["extra", "reply_to", "deadline", "unntak_id"])] = rng.choice(
            [*_JUNK_VALUES, "bad topic!", "2000-01-01T00:00:00Z"]
        )
    elif kind == 6:
        return rng.choice(_JUNK_VALUES)  # valid JSON, not an object
    elif kind == 7:
        body["request_id"] = rng.choice(["", "not-a-uuid", 42, None])
    elif kind == 8:
        body = {k: body[k] for k in rng.sample(fields, k=len(fields))}
        body["statuser"] = ["GYLD"] * rng.randrange(0, 50)
    else:
        body["deadline"] = "2001-01-01T00:00:00+00:00"
    return body


def fuzz_message(rng: random.Random) -> bytes:
    """One hostile message: raw bytes, broken JSON, or a mutated request."""
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 512))
    if kind == 1:
        text = orjson.dumps(valid_request(rng))
        return text[: rng.randrange(0, len(text))]
    body = _mutate(valid_request(rng), rng)
    for _ in range(rng.randrange(0, 3)):
        if isinstance(body, dict):
            body = _mutate(body, rng)
    try:
        return orjson.dumps(body)
    except TypeError:
        return b"{}"
