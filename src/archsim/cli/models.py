"""``archsim models``: list the bundled reference topologies."""

from __future__ import annotations

from archsim.cli.common import bundled_models_dir, stdout


def command() -> None:
    """List the bundled reference topologies with their descriptions.

    Run one by name: archsim run monolith
    """
    import yaml

    for path in sorted(bundled_models_dir().glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            description = str(data.get("description", "")).strip()
        except yaml.YAMLError:
            description = "(unreadable)"
        stdout.print(f"{path.stem:<16} {description}", markup=False)
