"""archsim: predict how a backend architecture behaves under load.

The public API; the command line is a thin layer over these functions. Heavy modules (SimPy,
numpy, scipy) load only when a function that needs them is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsim.errors import ArchsimError, Issue, ModelError, SpecError, UsageError
from archsim.spec.loader import load, validate

__version__ = "0.1.0"

if TYPE_CHECKING:
    from archsim.spec.schema import Topology

__all__ = [
    "ArchsimError",
    "Issue",
    "ModelError",
    "SpecError",
    "Topology",
    "UsageError",
    "__version__",
    "load",
    "validate",
]


def __getattr__(name: str) -> Any:
    if name == "Topology":
        from archsim.spec.schema import Topology

        return Topology
    raise AttributeError(f"module 'archsim' has no attribute {name!r}")
