"""Base classes for everything that travels on Kafka or comes back from NAV."""

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """A message this project defines: unknown fields are an error, so typos surface."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NavModel(BaseModel):
    """A model NAV defines: unknown fields are ignored, so NAV can add fields without breaking us."""

    model_config = ConfigDict(extra="ignore", frozen=True)
