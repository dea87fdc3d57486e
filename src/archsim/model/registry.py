"""Runtime component kinds: ``type`` name -> class built from its spec.

A new kind is one module plus one line here (and its spec class in
:mod:`archsim.spec.components`). Looking up an unknown kind raises a clear error.
"""

from __future__ import annotations

from typing import Any

from archsim.errors import ModelError
from archsim.model.balancer import BalancerRuntime
from archsim.model.cache import CacheRuntime
from archsim.model.database import DatabaseRuntime
from archsim.model.discovery import RegistryRuntime
from archsim.model.queue import QueueRuntime
from archsim.model.service import ServiceRuntime
from archsim.model.topic import TopicRuntime

KINDS: dict[str, type[Any]] = {
    "service": ServiceRuntime,
    "database": DatabaseRuntime,
    "cache": CacheRuntime,
    "load_balancer": BalancerRuntime,
    "topic": TopicRuntime,
    "queue": QueueRuntime,
    "registry": RegistryRuntime,
}


def runtime_class(kind: str) -> type[Any]:
    """The runtime class for component ``kind``.

    Raises
    ------
    ModelError
        When no runtime is registered for ``kind`` (for example a kind the engine does not
        simulate yet).
    """
    try:
        return KINDS[kind]
    except KeyError:
        raise ModelError(f"no simulation runtime for component type {kind!r} "
                         f"(simulated types: {', '.join(KINDS)})") from None
