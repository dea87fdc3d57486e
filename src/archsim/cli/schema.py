"""``archsim schema``: print the JSON Schema of topology files (for editor completion)."""

from __future__ import annotations

from typing import Annotated

import typer


def command(
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of topology files.

    Save it and point your editor at it with a first line
    '# yaml-language-server: $schema=archsim.schema.json'.

    Example:
      archsim schema -o archsim.schema.json
    """
    import json
    from pathlib import Path

    from archsim.spec.jsonschema import topology_schema

    text = json.dumps(topology_schema(), indent=2, sort_keys=True) + "\n"
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            from archsim.cli.common import fail

            fail(f"cannot write {output}: {exc.strerror}", 1)
    else:
        typer.echo(text, nl=False)
