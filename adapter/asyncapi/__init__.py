"""The AsyncAPI document of the adapter's channels."""

from adapter.asyncapi.document import asyncapi_document

__all__ = ["asyncapi_document"]
