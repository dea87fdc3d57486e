"""archsim: predict how a backend architecture behaves under load.

The public API; the command line is a thin layer over these functions. Modules load on first
use, so ``archsim --help`` starts fast and SimPy, numpy and scipy load only for a simulation.

Examples
--------
>>> import archsim
>>> topology = archsim.load("models/monolith.yaml")          # doctest: +SKIP
>>> report = archsim.simulate(topology, duration_s=10.0)     # doctest: +SKIP
>>> report.to_dict()["bottleneck"]                           # doctest: +SKIP
'app'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from archsim.errors import ArchsimError, Issue, ModelError, SpecError, UsageError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from archsim.analysis.analyze import analyze
    from archsim.analysis.capacity import capacity
    from archsim.analysis.check import check
    from archsim.analysis.compare import compare
    from archsim.analysis.sweep import sweep
    from archsim.engine.simulate import simulate
    from archsim.report.build import Report
    from archsim.spec.loader import load, validate
    from archsim.spec.schema import Topology

_LAZY = {
    "load": "archsim.spec.loader",
    "validate": "archsim.spec.loader",
    "Topology": "archsim.spec.schema",
    "simulate": "archsim.engine.simulate",
    "Report": "archsim.report.build",
    "analyze": "archsim.analysis.analyze",
    "compare": "archsim.analysis.compare",
    "check": "archsim.analysis.check",
    "sweep": "archsim.analysis.sweep",
    "capacity": "archsim.analysis.capacity",
}

__all__ = [
    "ArchsimError",
    "Issue",
    "ModelError",
    "Report",
    "SpecError",
    "Topology",
    "UsageError",
    "__version__",
    "analyze",
    "capacity",
    "check",
    "compare",
    "load",
    "simulate",
    "sweep",
    "validate",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'archsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
