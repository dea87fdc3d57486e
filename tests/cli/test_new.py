"""``archsim new``: copy a bundled model to start from."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import archsim
from archsim.cli.app import app

runner = CliRunner()


def test_new_copies_a_valid_model(tmp_path: Path) -> None:
    target = tmp_path / "shop.yaml"
    result = runner.invoke(app, ["new", str(target), "--from", "microservices"])
    assert result.exit_code == 0, result.output
    assert archsim.load(str(target)).name == "shop-microservices"
    assert "created" in result.stderr


def test_new_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "shop.yaml"
    target.write_text("mine")
    result = runner.invoke(app, ["new", str(target)])
    assert result.exit_code == 1 and "exists" in result.stderr
    assert target.read_text() == "mine"
    assert runner.invoke(app, ["new", str(target), "--force"]).exit_code == 0
    assert archsim.load(str(target)).name == "shop-monolith"


def test_new_unknown_model_suggests(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "x.yaml"), "--from", "microservice"])
    assert result.exit_code == 1
    assert "Did you mean 'microservices'?" in result.stderr
