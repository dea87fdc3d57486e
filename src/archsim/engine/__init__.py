"""The simulation engine: build a runtime model, run replications, combine them."""
