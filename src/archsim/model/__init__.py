"""The runtime model: components and samplers over SimPy primitives, built from the spec."""
