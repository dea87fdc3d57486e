"""Upper bounds on the counts, rates and simulated time a topology may ask for.

Each bound is far above any real architecture, and low enough that building the model and the
analytic estimates stays small: without them ``workers: 10**400`` validates and then breaks or
hangs the engine. A value past a bound is a located error that states the bound
(``expected a value <= 100000, got ...``), and the JSON Schema carries it as ``maximum``.
The topology reference (docs/topology.md, "Limits") lists them with these reasons.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from archsim.spec.types import Count, NonNegativeCount
from archsim.spec.units import MAX_RATE_PER_S

MAX_REPLICAS = 10_000
"""Replicas of a service (and autoscale min/max, registry replicas): one station each."""
MAX_READ_REPLICAS = 1_000
"""Read replicas of a database (real ones have up to a few dozen): one station each."""
MAX_WORKERS = 100_000
"""Workers per replica: the M/M/c/K estimate holds workers + queue + 1 states."""
MAX_QUEUE = 1_000_000
"""Waiting-room places per replica (same estimate as workers)."""
MAX_USERS = 100_000
"""Users of a closed workload: one simulated process each (model more as an open rate)."""
MAX_PARTITIONS = 100_000
"""Partitions of a topic (Kafka advises at most about 200,000 per cluster)."""
MAX_CONSUMERS = 100_000
"""Consumers of one subscriber entry: one simulated process each."""
MAX_DELIVERIES = 1_000
"""Deliveries of one message (SQS's maxReceiveCount stops at 1,000)."""
MAX_MESSAGES = 1_000_000_000
"""Capacity of a queue, in messages (a bound only: nothing is allocated per place)."""
MAX_KEYS = 10_000_000
"""Distinct keys of a cache or a publish step: a Zipf table of this many entries per run."""
MAX_CACHE_ENTRIES = 1_000_000
"""Capacity of a cache's LRU, held in memory entry by entry during a run."""
MAX_RETRIES = 100
"""Extra attempts of one call (real policies retry a handful of times)."""
MAX_BACKOFF_MULTIPLIER = 10.0
"""Growth of the retry backoff (real policies use 1.5 to 3). The engine raises it to at most
the 64th power, and 10**64 is still a finite float; 1e10**64 overflowed."""
MAX_TOKENS = 1_000_000_000
"""Burst of a token bucket."""
MAX_MIN_CALLS = 1_000_000
"""Calls a circuit breaker waits for before it may trip."""
MAX_REPLICATIONS = 10_000
"""Replications of a run, each a whole simulation."""
MAX_SEED = 2**63 - 1
"""Largest seed: a signed 64-bit integer, so any JSON reader gets the report's seed exactly."""
MIN_TICK_S = 1e-3
"""Shortest ``health_check.interval`` and ``autoscale.interval``: each tick is a simulated
event, and real probes and autoscalers act every few seconds (Kubernetes: 1 s at least)."""
MAX_SIMULATED_S = 365 * 24 * 3600.0
"""Longest ``simulation.duration`` (one year of simulated time; the warm-up is shorter still).
Other durations (work, timeouts, think times, fault times) have no upper bound: a long one only
means that the event does not happen within the run, and nothing loops over it. A burst's
``every`` and a profile's ``period`` may be short: their load is integrated in closed form."""

Replicas = Annotated[Count, Field(le=MAX_REPLICAS)]
ReadReplicas = Annotated[NonNegativeCount, Field(le=MAX_READ_REPLICAS)]
Workers = Annotated[Count, Field(le=MAX_WORKERS)]
Queue = Annotated[NonNegativeCount, Field(le=MAX_QUEUE)]
Users = Annotated[Count, Field(le=MAX_USERS)]
Partitions = Annotated[Count, Field(le=MAX_PARTITIONS)]
Consumers = Annotated[Count, Field(le=MAX_CONSUMERS)]
Deliveries = Annotated[Count, Field(le=MAX_DELIVERIES)]
Messages = Annotated[Count, Field(le=MAX_MESSAGES)]
Keys = Annotated[Count, Field(le=MAX_KEYS)]
CacheEntries = Annotated[Count, Field(le=MAX_CACHE_ENTRIES)]
RetryCount = Annotated[NonNegativeCount, Field(le=MAX_RETRIES)]
Tokens = Annotated[Count, Field(le=MAX_TOKENS)]
MinCalls = Annotated[Count, Field(le=MAX_MIN_CALLS)]
Replications = Annotated[Count, Field(le=MAX_REPLICATIONS)]
Seed = Annotated[NonNegativeCount, Field(le=MAX_SEED)]
BackoffMultiplier = Annotated[float, Field(ge=1, le=MAX_BACKOFF_MULTIPLIER, allow_inf_nan=False)]

__all__ = ["MAX_RATE_PER_S", "MAX_SIMULATED_S"]
