"""The spec layer: YAML -> validated, immutable topology objects (no simulation runtime)."""
