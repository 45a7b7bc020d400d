"""The AsyncAPI document is valid AsyncAPI 3.0, and every example in it is valid by its schema.

tests/data/asyncapi-3.0.0.schema.json is the official AsyncAPI 3.0.0 JSON Schema, unchanged:
schemas/3.0.0.json of the npm package @asyncapi/specs 6.11.1 (Apache-2.0), built from
https://github.com/asyncapi/spec-json-schemas/blob/master/schemas/3.0.0.json
"""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

from adapter.asyncapi import asyncapi_document
from nav_lookup_contracts.operations import OPERATIONS

ROOT = Path(__file__).parents[2]
DOCUMENT_URI = "urn:test:asyncapi"
DOCUMENT = asyncapi_document()


def _message_examples() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, example.get("name", str(i)), example)
        for name, message in DOCUMENT["components"]["messages"].items()
        for i, example in enumerate(message.get("examples", []))
    ]


def _by_id(node: Any, ids: dict[str, str]) -> Any:
    """`node` with each reference to an embedded schema that has an `$id` made by that `$id`, so
    that the schema's own `#/$defs/...` resolve within it."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name, _, rest = ref.removeprefix("#/components/schemas/").partition("/")
            if ref.startswith("#/components/schemas/") and name in ids:
                return {**node, "$ref": ids[name] + ("#/" + rest if rest else "")}
        return {k: _by_id(v, ids) for k, v in node.items()}
    if isinstance(node, list):
        return [_by_id(v, ids) for v in node]
    return node


def _validator(schema_pointer: str) -> jsonschema.protocols.Validator:
    """A validator of `schema_pointer` in the document, its `$ref`s resolved within it."""
    schemas = DOCUMENT["components"]["schemas"]
    ids = {name: schema["$id"] for name, schema in schemas.items() if "$id" in schema}
    document = _by_id(DOCUMENT, ids)
    registry: Registry[Any] = Registry().with_resources(
        [
            (DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)),
            *((ids[n], Resource.from_contents(document["components"]["schemas"][n])) for n in ids),
        ]
    )
    schema = {"$ref": f"{DOCUMENT_URI}#{schema_pointer}"}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def test_the_document_is_valid_asyncapi_3() -> None:
    meta = json.loads((ROOT / "tests" / "data" / "asyncapi-3.0.0.schema.json").read_text())
    registry: Registry[Any] = Registry().with_resource(
        meta["$id"], Resource.from_contents(meta, default_specification=DRAFT7)
    )
    jsonschema.Draft7Validator(meta, registry=registry).validate(DOCUMENT)


@pytest.mark.parametrize(
    ("message", "name", "example"), _message_examples(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_example_is_valid_by_its_message_schemas(
    message: str, name: str, example: dict[str, Any]
) -> None:
    definition = DOCUMENT["components"]["messages"][message]
    if "payload" in example:
        _validator(f"/components/messages/{message}/payload").validate(example["payload"])
    if "headers" in example:
        _validator(f"/components/messages/{message}/headers").validate(example["headers"])
    assert "payload" in definition


def test_a_wrong_result_for_its_operation_is_refused() -> None:
    """The ok reply is keyed by operation: one operation's result under another's name fails."""
    ok = DOCUMENT["components"]["messages"]["lookupOkReply"]["examples"]
    by_operation = {e["name"]: e["payload"] for e in ok}
    assert set(by_operation) == {op.name for op in OPERATIONS}
    wrong = {**by_operation["medlemskapsunntak.search"], "operation": "uforeopplysninger.get"}
    with pytest.raises(jsonschema.ValidationError):
        _validator("/components/messages/lookupOkReply/payload").validate(wrong)


def test_the_channels_cover_lookups_and_the_bridge_with_the_caller_parameter() -> None:
    channels = DOCUMENT["channels"]
    assert {c["address"] for c in channels.values()} == {
        "nav.lookup.v1.requests.{caller}",
        "nav.lookup.v1.replies.{caller}",
        "nav.lookup.v1.retry.{attempt}",
        "nav.lookup.v1.dlq",
        "nav.lookup.v1.audit",
        "nav.events.v1.{feed}",
        "nav.bridge.v1.checkpoints",
    }
    assert "caller" in channels["lookupRequests"]["parameters"]
    assert "caller" in channels["lookupReplies"]["parameters"]
    reply = DOCUMENT["operations"]["answerLookup"]["reply"]
    assert reply["channel"] == {"$ref": "#/channels/lookupReplies"}


def test_servers_state_their_security() -> None:
    servers = DOCUMENT["servers"]
    schemes = DOCUMENT["components"]["securitySchemes"]
    kinds = {
        name: {schemes[s["$ref"].rpartition("/")[2]]["type"] for s in server["security"]}
        for name, server in servers.items()
    }
    assert kinds == {
        "plaintext": set(),
        "mutualTls": {"X509"},
        "saslSsl": {"plain", "scramSha256", "scramSha512"},
    }


def test_a_running_adapter_s_document_names_its_own_server_and_no_credential() -> None:
    from adapter.settings import KafkaSettings

    kafka = KafkaSettings(
        bootstrap_servers="kafka-1:9093",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="team-a",
        sasl_password="not-in-the-document",
    )
    document = asyncapi_document(kafka)
    assert document["servers"] == {
        "configured": {
            "host": "kafka-1:9093",
            "protocol": "kafka-secure",
            "description": "SASL_SSL",
            "security": [{"$ref": "#/components/securitySchemes/saslScramSha512"}],
        }
    }
    assert "not-in-the-document" not in json.dumps(document)
    assert "team-a" not in json.dumps(document["servers"])
