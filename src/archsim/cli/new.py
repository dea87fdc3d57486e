"""``archsim new FILE --from MODEL``: start a topology from a bundled reference model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archsim.cli.common import bundled_models_dir, fail, stderr


def command(
    file: Annotated[str, typer.Argument(help="The topology file to create.", metavar="FILE",
                                        show_default=False)],
    source: Annotated[str, typer.Option("--from", help="Bundled model to copy (see "
                                        "'archsim models').")] = "monolith",
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Create a topology file from a bundled model, ready to edit.

    Examples:
      archsim new shop.yaml --from microservices
      archsim new mine.yaml
    """
    from archsim.spec.pydantic_errors import suggest

    models = sorted(p.stem for p in bundled_models_dir().glob("*.yaml"))
    if source not in models:
        fail(f"no bundled model '{source}'; models are: {', '.join(models)}."
             f"{suggest(source, models)}", 1)
    target = Path(file)
    if target.exists() and not force:
        fail(f"{file} exists; use --force to overwrite it", 1)
    text = (bundled_models_dir() / f"{source}.yaml").read_text(encoding="utf-8")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror}", 1)
    stderr.print(f"created {file} from the bundled model '{source}'; check it with "
                 f"'archsim validate {file}' and run it with 'archsim run {file}'", markup=False)
