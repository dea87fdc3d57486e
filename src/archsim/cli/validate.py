"""``archsim validate FILE...``: check topology files and print every problem."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from archsim.cli import options
from archsim.cli.common import print_issues, resolve_topology, stdout


def command(
    files: Annotated[list[str], typer.Argument(help="Topology files (or bundled model names).",
                                               show_default=False)],
    output_format: Annotated[str, typer.Option(
        "--format", help="Output: 'text' (file:line:col: [error] ...) or 'json' for editors/CI."
    )] = "text",
    overrides: Annotated[list[str] | None, options.overrides(
        "Override a value before validating, e.g. components.web.replicas=5.")] = None,
) -> None:
    """Check topology files; print OK per file or every problem found; exit 1 if any.

    Examples:
      archsim validate models/monolith.yaml
      archsim validate a.yaml b.yaml --format json
    """
    from archsim.spec.loader import validate

    if output_format not in ("text", "json"):
        raise typer.BadParameter(f"expected 'text' or 'json', got {output_format!r}",
                                 param_hint="--format")
    results = {}
    for name in files:
        path = resolve_topology(name)
        results[name] = validate(path, overrides or ())
    failed = any(issues for issues in results.values())
    if output_format == "json":
        payload = {"valid": not failed, "files": [
            {"file": name, "valid": not issues, "issues": [i.to_dict() for i in issues]}
            for name, issues in results.items()]}
        stdout.print_json(json.dumps(payload))
    else:
        for name, issues in results.items():
            if issues:
                print_issues(issues)
                count = len(issues)
                stdout.print(f"{name}: {count} problem{'s' if count != 1 else ''}", markup=False)
            else:
                stdout.print(f"{name}: OK", markup=False)
    if failed:
        raise typer.Exit(1)
