"""``archsim schema``: the JSON Schema accepts every valid topology and rejects broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from archsim.cli.app import app

MODELS = sorted((Path(__file__).parents[2] / "src" / "archsim" / "models").glob("*.yaml"))


@pytest.fixture(scope="module")
def schema() -> dict:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_schema_is_a_valid_draft_2020_12_schema(schema: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "archsim topology"
    assert {"archsim", "name", "workload", "components"} <= set(schema["required"])
    assert "source" not in schema["properties"]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_bundled_models_satisfy_the_schema(schema: dict, path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_schema_flags_unknown_keys_and_bare_durations(schema: dict) -> None:
    monolith = next(p for p in MODELS if p.stem == "monolith")
    data = yaml.safe_load(monolith.read_text())
    data["components"]["app"]["workerz"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
    data = yaml.safe_load(monolith.read_text())
    data["simulation"]["duration"] = 30
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_schema_output_file(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = CliRunner().invoke(app, ["schema", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["title"] == "archsim topology"
