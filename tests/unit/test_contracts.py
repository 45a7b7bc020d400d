import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from nav_lookup_contracts import LOOKUP_REPLY, LOOKUP_REQUEST, OPERATIONS, ErrorReply
from nav_lookup_contracts.nav.medlemskap import Medlemskapsunntak
from nav_lookup_contracts.schema import all_schemas, json_schema

# The JSON Schema from NAV's portal page of Medlemskapsunntak (hentMedlemskapsunntakUsingGET), verbatim.
REFERENCE = Path(__file__).parents[1] / "data" / "medlemskapsunntak.schema.json"


def _reference_schema() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text())  # type: ignore[no-any-return]


def _shape(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """Names, types, formats and required fields, with $refs resolved."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") == "object":
        return {
            "required": sorted(schema.get("required", [])),
            "properties": {k: _shape(v, defs) for k, v in schema["properties"].items()},
        }
    return (schema.get("type"), schema.get("format"))


def test_medlemskapsunntak_matches_navs_json_schema_exactly() -> None:
    ours = json_schema(Medlemskapsunntak)
    reference = _reference_schema()
    assert _shape(ours, ours.get("$defs", {})) == _shape(reference, {})


def test_every_operation_has_request_and_reply_schemas() -> None:
    schemas = all_schemas()
    for op in OPERATIONS:
        assert f"request.{op.name}.json" in schemas
        assert schemas[f"reply.{op.name}.json"]["properties"]["status"]["const"] == "ok"


def test_request_union_routes_on_operation() -> None:
    request = LOOKUP_REQUEST.validate_python(
        {
            "request_id": str(uuid.uuid4()),
            "operation": "medlemskapsunntak.get",
            "scope": "nav:helse/v1/medlemskapsunntak",
            "unntak_id": 42,
        }
    )
    assert type(request).__name__ == "MedlemskapsunntakGet"


def test_bad_ident_is_rejected_without_echoing_it() -> None:
    ident = "13097248032"  # first control digit wrong
    with pytest.raises(ValidationError) as caught:
        LOOKUP_REQUEST.validate_python(
            {
                "request_id": str(uuid.uuid4()),
                "operation": "aap.vedtak",
                "scope": "nav:arbeid/v1/aap",
                "ident": ident,
            }
        )
    errors = caught.value.errors(include_input=False)
    assert [e["loc"] for e in errors] == [("aap.vedtak", "ident")]
    assert "control digit" in errors[0]["msg"]
    assert ident not in json.dumps([e["msg"] for e in errors])


def test_synthetic_ident_needs_the_context_flag() -> None:
    body = {
        "request_id": str(uuid.uuid4()),
        "operation": "frikort.brev",
        "scope": "nav:helserefusjon/v1/frikort",
        "ident": "13527248013",  # month + 40
    }
    with pytest.raises(ValidationError):
        LOOKUP_REQUEST.validate_python(body)
    assert LOOKUP_REQUEST.validate_python(body, context={"allow_synthetic": True})


def test_the_consent_is_an_altinn_3_consent_id_and_altinn_2_tokens_are_refused() -> None:
    body = {
        "request_id": str(uuid.uuid4()),
        "operation": "uforeopplysninger.get",
        "scope": "nav:helse/v1/uforeopplysninger",
        "ident": "13097248022",
    }
    consent_id = str(uuid.uuid4())
    request = LOOKUP_REQUEST.validate_python({**body, "consent_id": consent_id})
    assert json.loads(request.model_dump_json())["consent_id"] == consent_id
    with pytest.raises(ValidationError, match="extra"):
        LOOKUP_REQUEST.validate_python({**body, "consent_token": "c2VjcmV0LWNvbnNlbnQ="})


def test_unknown_request_fields_are_an_error() -> None:
    with pytest.raises(ValidationError, match="extra"):
        LOOKUP_REQUEST.validate_python(
            {
                "request_id": str(uuid.uuid4()),
                "operation": "medlemskapsunntak.get",
                "scope": "nav:helse/v1/medlemskapsunntak",
                "unntak_id": 1,
                "unntakid": 1,
            }
        )


def test_replies_parse_by_status() -> None:
    error = ErrorReply.model_validate(
        {
            "request_id": str(uuid.uuid4()),
            "error": {"code": "NOT_FOUND", "retryable": False, "message": "m"},
        }
    )
    parsed = LOOKUP_REPLY.validate_json(error.model_dump_json())
    assert isinstance(parsed, ErrorReply)


def test_optional_fields_are_not_nullable_in_exported_schemas() -> None:
    text = json.dumps(all_schemas()["result.medlemskapsunntak.get.json"])
    assert not re.search(r'"type": "null"', text)


def test_the_adapter_s_default_topics_are_the_published_ones() -> None:
    from adapter.settings import BridgeSettings, LookupSettings
    from nav_lookup_contracts import topics

    lookups, bridge = LookupSettings.model_construct(), BridgeSettings.model_construct()
    assert lookups.request_topic_prefix == topics.REQUEST_TOPIC_PREFIX
    assert lookups.dead_letter_topic == topics.DEAD_LETTER_TOPIC
    assert lookups.audit_topic == topics.AUDIT_TOPIC
    assert lookups.retry_topic_prefix == topics.RETRY_TOPIC_PREFIX
    assert bridge.checkpoint_topic == topics.CHECKPOINT_TOPIC
