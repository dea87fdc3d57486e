"""JSON Schema of topology files, generated from the pydantic spec models."""

from __future__ import annotations

from typing import Any

from archsim.spec.schema import Topology


def topology_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) describing a topology file.

    Durations, rates and probabilities are described as the strings users write (``"4ms"``),
    not as the floats they become.
    """
    schema = Topology.model_json_schema(mode="validation", by_alias=True)
    schema["properties"].pop("source", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "archsim topology"
    return schema
