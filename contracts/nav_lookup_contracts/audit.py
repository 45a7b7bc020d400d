"""The audit record: one per lookup outcome, on the audit topic, with the ident masked."""

from uuid import UUID

from pydantic import AwareDatetime, Field

from nav_lookup_contracts._wire import WireModel


class AuditRecord(WireModel):
    caller: str = Field(description="The caller whose request topic the request came from.")
    operation: str | None = Field(description="The operation, when the request named a known one.")
    masked_ident: str | None = Field(description="The person's ident, masked; null for no person.")
    request_id: UUID
    outcome: str = Field(
        description='"ok", an error code (e.g. NOT_FOUND), or "RETRY_SCHEDULED" when the request '
        "was moved to a delayed retry topic."
    )
    time: AwareDatetime = Field(description="When the outcome was decided.")
