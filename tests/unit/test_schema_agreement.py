"""The published request schema and the adapter's validation agree, on one corpus of what a
hostile or careless caller sends: what the schema refuses, the adapter answers INVALID_REQUEST,
and what it takes, the adapter takes too (beyond it, only what no JSON Schema can say: an ident's
control digits and its date, that scope is the operation's, and that 1.0 is no integer)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from adapter.kafka.records import Incoming
from adapter.lookup.policy import LookupPolicy
from adapter.lookup.reply_to import ReplyRoutes
from adapter.lookup.service import LookupService
from adapter.nav.errors import NavRejected
from nav_lookup_contracts import OPERATIONS, ErrorCode, Operation
from nav_lookup_contracts.lookups import LookupBase
from tests.support.request_corpus import CORPUS, base

SCHEMAS = Path(__file__).parents[2] / "contracts/nav_lookup_contracts/schemas"
SCHEMA = json.loads((SCHEMAS / "lookup-request.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
POLICY = LookupPolicy(
    scopes_by_request_topic={"req": frozenset(op.scope for op in OPERATIONS)},
    caller_by_request_topic={"req": "a"},
    replies=ReplyRoutes({"req": "replies"}),
    dead_letter_topic="dlq",
    audit_topic="audit",
    dedupe_window_seconds=0,
)


class NotFoundNav:
    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any:
        raise NavRejected(ErrorCode.NOT_FOUND, "not found", http_status=404)


def _adapter_takes(body: dict[str, Any]) -> bool:
    """Whether the lookups passed the request's contract: it got as far as NAV or its admission."""
    service = LookupService(nav=NotFoundNav(), policy=POLICY)
    out = asyncio.run(service.handle(Incoming("req", 0, 1, None, orjson.dumps(body), ())))
    if out[0].topic == "dlq":
        return False
    reply = orjson.loads(out[0].value)
    assert reply["status"] == "error"  # NAV answers NOT_FOUND to everything here
    assert reply["error"]["code"] != ErrorCode.INTERNAL
    return bool(reply["error"]["code"] != ErrorCode.INVALID_REQUEST)


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_schema_and_the_adapter_agree(name: str) -> None:
    body, valid = CORPUS[name]
    assert VALIDATOR.is_valid(body) == valid, f"schema: {name}"
    assert _adapter_takes(body) == valid, f"adapter: {name}"


@pytest.mark.parametrize(
    "ident", ["13097248023", "32017248022", "00000000000"], ids=["control digit", "no such day", "zeros"]
)
def test_what_no_schema_can_say_the_adapter_checks_beyond_it(ident: str) -> None:
    body = base("medlemskapsunntak.search", ident=ident)
    assert VALIDATOR.is_valid(body)
    assert not _adapter_takes(body)
    wrong_scope = {**base("medlemskapsunntak.get", unntak_id=1), "scope": "nav:arbeid/v1/aap"}
    assert VALIDATOR.is_valid(wrong_scope) and not _adapter_takes(wrong_scope)
    # JSON Schema counts 1.0 as an integer; the adapter, validating strictly, wants the integer.
    a_float = base("medlemskapsunntak.get", unntak_id=1.0)
    assert VALIDATOR.is_valid(a_float) and not _adapter_takes(a_float)
