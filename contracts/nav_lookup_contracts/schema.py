"""JSON Schema of every wire model; `nav-adapter docs` writes them to schemas/ beside this module."""

from typing import Any

from pydantic import BaseModel, TypeAdapter

from nav_lookup_contracts.audit import AuditRecord
from nav_lookup_contracts.bridged import BRIDGED_RECORD, Checkpoint
from nav_lookup_contracts.lookups import LOOKUP_REQUEST
from nav_lookup_contracts.operations import OPERATIONS, Operation
from nav_lookup_contracts.replies import ErrorReply

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""What pydantic writes; the dialect every schema here names in `$schema`."""
ID_PREFIX = "urn:nav-lookup:v1:schema:"
"""A schema's `$id` is this prefix + its file name: stable, and resolvable without a network."""


def _drop_null_from_optional(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field that is absent when empty is `X`, not `X | null`, as NAV documents it.

    Replies are written with `exclude_none`, so null never appears on the wire.
    """
    for value in list(schema.values()):
        if isinstance(value, dict):
            _drop_null_from_optional(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _drop_null_from_optional(item)
    props = schema.get("properties")
    if isinstance(props, dict):
        required = set(schema.get("required", ()))
        for name, prop in props.items():
            variants = prop.get("anyOf")
            if name in required or not isinstance(variants, list):
                continue
            non_null = [v for v in variants if v != {"type": "null"}]
            if len(non_null) == 1 and len(variants) == 2:
                prop.pop("anyOf")
                if prop.get("default", ...) is None:
                    prop.pop("default")
                prop.update(non_null[0])
    return schema


def json_schema(model: type[BaseModel] | TypeAdapter[Any]) -> dict[str, Any]:
    raw = model.json_schema() if isinstance(model, TypeAdapter) else model.model_json_schema()
    return _drop_null_from_optional(raw)


def reply_schema(op: Operation) -> dict[str, Any]:
    """The operation's ok reply, its `operation` pinned to the operation's name."""
    schema = json_schema(op.reply_model)
    schema["properties"]["operation"] = {"const": op.name, "title": "Operation", "type": "string"}
    schema["title"] = f"OkReply[{op.name}]"
    return schema


def _published(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DIALECT, "$id": ID_PREFIX + name, **schema}


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every request, reply and NAV result model, the audit record and
    the bridge's records."""
    schemas: dict[str, dict[str, Any]] = {
        "lookup-request.json": json_schema(LOOKUP_REQUEST),
        "error-reply.json": json_schema(ErrorReply),
        "audit-record.json": json_schema(AuditRecord),
        "bridged-record.json": json_schema(BRIDGED_RECORD),
        "bridge-checkpoint.json": json_schema(Checkpoint),
    }
    for op in OPERATIONS:
        schemas[f"request.{op.name}.json"] = json_schema(op.request_model)
        schemas[f"reply.{op.name}.json"] = reply_schema(op)
        schemas[f"result.{op.name}.json"] = json_schema(op.result_adapter)
    return {name: _published(name, schema) for name, schema in schemas.items()}
