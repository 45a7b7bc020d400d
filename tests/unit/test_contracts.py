import json
import re
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from nav_lookup_contracts import LOOKUP_REPLY, LOOKUP_REQUEST, OPERATIONS, ErrorReply
from nav_lookup_contracts.lookups import CONSENT_TOKEN_MAX_LENGTH
from nav_lookup_contracts.nav.medlemskap import Medlemskapsunntak
from nav_lookup_contracts.schema import all_schemas, json_schema
from nav_lookup_contracts.validation import problems

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


_CONSENT_BODY = {
    "request_id": "5f0c0a52-8a6e-4c39-9a51-3c1a6f1f0b11",
    "operation": "uforeopplysninger.get",
    "scope": "nav:helse/v1/uforeopplysninger",
    "ident": "13097248022",
}
_SECRET_TOKEN = "c2VjcmV0LWNvbnNlbnQ="


def _schema_errors(body: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(all_schemas()["request.uforeopplysninger.get.json"])
    return [e.message for e in validator.iter_errors(body)]


def test_the_consent_is_an_altinn_3_consent_id_or_an_altinn_2_token() -> None:
    consent_id = str(uuid.uuid4())
    by_id = LOOKUP_REQUEST.validate_python({**_CONSENT_BODY, "consent_id": consent_id})
    assert json.loads(by_id.model_dump_json())["consent_id"] == consent_id
    by_token = LOOKUP_REQUEST.validate_python({**_CONSENT_BODY, "consent_token": _SECRET_TOKEN})
    # The token travels on the wire, but never shows in repr() (and so in no log of the request).
    assert json.loads(by_token.model_dump_json())["consent_token"] == _SECRET_TOKEN
    assert _SECRET_TOKEN not in repr(by_token) and _SECRET_TOKEN not in str(by_token)
    assert _schema_errors({**_CONSENT_BODY, "consent_id": consent_id}) == []
    assert _schema_errors({**_CONSENT_BODY, "consent_token": _SECRET_TOKEN}) == []


def test_both_kinds_of_consent_at_once_are_refused_by_the_model_and_the_schema() -> None:
    body = {**_CONSENT_BODY, "consent_id": str(uuid.uuid4()), "consent_token": _SECRET_TOKEN}
    with pytest.raises(ValidationError) as refused:
        LOOKUP_REQUEST.validate_python(body)
    text = "; ".join(problems(refused.value))
    assert "not both" in text
    assert _SECRET_TOKEN not in text
    assert _schema_errors(body) != []


@pytest.mark.parametrize(
    "token",
    ["c2Ft\r\nX-Injected: 1", "tøken", "two words", "A" * (CONSENT_TOKEN_MAX_LENGTH + 1)],
    ids=["crlf", "non-ascii", "space", "too long"],
)
def test_a_consent_token_is_a_bounded_header_value_and_the_refusal_does_not_quote_it(token: str) -> None:
    with pytest.raises(ValidationError) as refused:
        LOOKUP_REQUEST.validate_python({**_CONSENT_BODY, "consent_token": token})
    text = "; ".join(problems(refused.value))
    assert text.startswith("uforeopplysninger.get.consent_token:")
    assert token not in text and token[:4] not in text
    assert _schema_errors({**_CONSENT_BODY, "consent_token": token}) != []


def test_a_consent_token_of_the_largest_size_is_taken() -> None:
    token = "A" * CONSENT_TOKEN_MAX_LENGTH
    request = LOOKUP_REQUEST.validate_python({**_CONSENT_BODY, "consent_token": token})
    assert json.loads(request.model_dump_json())["consent_token"] == token


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
