"""Topics (partitioned logs, Kafka-like) and queues (competing consumers, SQS-like).

A publish ends when the broker acknowledges (after the broker's ``latency``); from that moment
the message waits in a partition (topic: every consumer group gets its own copy) or in the
queue's one shared line. Consumers turn each message into a request to the subscriber's
endpoint, which runs through that service like any other request; a consumer takes the next
message only after the handler request for the previous one has completed.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.model.errors import Rejected, RequestError
from archsim.model.service import ComponentStats

if TYPE_CHECKING:
    import simpy

    from archsim.model.context import Context, Sampler
    from archsim.model.faults import FaultState
    from archsim.model.ops import Callee
    from archsim.spec.components import QueueSpec, TopicSpec


class Message:
    """One published message: when its publish step started, and its deliveries so far.

    ``done``: settled (handled, dead-lettered or given up). ``queued``: waiting, visible, in a
    queue's line (a queue message can be visible while an earlier delivery still runs).
    """

    __slots__ = ("created", "deliveries", "done", "partition", "queued")

    def __init__(self, created: float, partition: int) -> None:
        self.created = created
        self.partition = partition
        self.deliveries = 0
        self.done = False
        self.queued = False


@dataclass(frozen=True, slots=True)
class SubscriberStats:
    """Measured-window results of one subscriber (consumer group or queue subscriber).

    Areas are integrals over the window: ``backlog_area`` in message-seconds (messages waiting,
    not in handling), ``busy_area`` in consumer-seconds. ``partition_backlog_area`` has one
    entry per partition (topics). ``backlog_samples`` are the backlog at equally spaced times
    of the window (for the growth rate).
    """

    key: str
    consumers: int
    active_consumers: int
    completed: int
    latencies_s: array
    backlog_area: float
    backlog_max: int
    backlog_final: int
    partition_backlog_area: tuple[float, ...]
    busy_area: float
    deliveries: int
    redeliveries: int
    duplicates: int
    dead_lettered: int
    handler_failed: int
    received_total: int
    settled_total: int
    in_flight_end: int
    backlog_samples: tuple[int, ...]


class Line:
    """FIFO lines of waiting messages with time-integrated lengths (one per partition).

    ``counts[i]`` is the number of messages waiting in line ``i`` and ``length`` their total.
    A queue message settled while a visible copy of it waits is :meth:`drop`-ped from the
    counts at once; its entry stays in the deque until :meth:`pop` passes over it.
    """

    def __init__(self, env: simpy.Environment, count: int) -> None:
        self.env = env
        self.lines: list[deque[Message]] = [deque() for _ in range(count)]
        self.counts = [0] * count
        self.length = 0
        self.last = 0.0
        self.area = 0.0
        self.areas = [0.0] * count
        self.maximum = 0

    def advance(self) -> None:
        now = self.env._now
        dt = now - self.last
        if dt:
            if self.length:
                self.area += self.length * dt
                areas = self.areas
                for index, count in enumerate(self.counts):
                    if count:
                        areas[index] += count * dt
            self.last = now

    def push(self, index: int, message: Message) -> None:
        self.advance()
        self.lines[index].append(message)
        self.counts[index] += 1
        self.length += 1
        if self.length > self.maximum:
            self.maximum = self.length

    def pop(self, index: int) -> Message:
        """The first waiting message of line ``index`` (there must be one)."""
        self.advance()
        line = self.lines[index]
        message = line.popleft()
        while message.done:  # an entry already dropped from the counts
            message = line.popleft()
        self.counts[index] -= 1
        self.length -= 1
        return message

    def drop(self, index: int) -> None:
        """Stop counting one waiting entry of line ``index`` whose message was just settled."""
        self.advance()
        self.counts[index] -= 1
        self.length -= 1

    def reset(self) -> None:
        self.advance()
        self.area = 0.0
        self.areas = [0.0] * len(self.lines)
        self.maximum = self.length


class Subscriber:
    """Consumers of one group (topic) or one subscriber entry (queue)."""

    def __init__(self, key: str, ctx: Context, handler: Callee, endpoint: str,
                 consumers: int, hop: Sampler | None, owner: Broker) -> None:
        self.key = key
        self.ctx = ctx
        self.env = ctx.env
        self.handler = handler
        self.endpoint = endpoint
        self.consumers = consumers
        self.hop = hop
        self.owner = owner
        self.busy = 0
        self.busy_area = 0.0
        self.last = 0.0
        self.measuring = False
        self.latencies: array = array("d")
        self.completed = self.deliveries = self.redeliveries = self.duplicates = 0
        self.dead_lettered = self.handler_failed = 0
        self.received_total = self.settled_total = 0
        self.samples: list[int] = []

    def advance(self) -> None:
        now = self.env._now
        if now != self.last:
            self.busy_area += self.busy * (now - self.last)
            self.last = now

    def handle(self, message: Message) -> Generator[Any, Any, bool]:
        """Deliver ``message`` to the handler endpoint; True when it succeeded."""
        env = self.env
        message.deliveries += 1
        if self.measuring:
            self.deliveries += 1
            if message.deliveries > 1:
                self.redeliveries += 1
        self.advance()
        self.busy += 1
        ok = True
        try:
            if self.hop is not None:
                yield env.timeout(self.hop())
            yield from self.handler.handle(self.endpoint)
            if self.hop is not None:
                yield env.timeout(self.hop())
        except RequestError:
            ok = False
        self.advance()
        self.busy -= 1
        return ok

    def settle(self, message: Message, ok: bool) -> bool:
        """Record a delivery's outcome; True when the message is finished with (not retried)."""
        if ok:
            if message.done:
                if self.measuring:
                    self.duplicates += 1
                return True
            message.done = True
            self.settled_total += 1
            if self.measuring:
                self.completed += 1
                self.latencies.append(self.env._now - message.created)
            return True
        if message.done:
            return True
        if message.deliveries < self.owner.max_deliveries:
            return False
        message.done = True
        self.settled_total += 1
        if self.owner.dead_letter is not None and self.owner.dead_letter.accept_copy(message):
            if self.measuring:
                self.dead_lettered += 1
        elif self.measuring:
            self.handler_failed += 1
        return True

    def reset(self) -> None:
        self.advance()
        self.busy_area = 0.0
        self.measuring = True
        self.latencies = array("d")
        self.completed = self.deliveries = self.redeliveries = self.duplicates = 0
        self.dead_lettered = self.handler_failed = 0
        self.samples = []


class Broker:
    """Shared behaviour of topics and queues: acknowledgement latency, accounting."""

    kind = "broker"

    def __init__(self, name: str, spec: TopicSpec | QueueSpec, ctx: Context) -> None:
        self.name = name
        self.spec = spec
        self.ctx = ctx
        self.env = ctx.env
        self.latency: Sampler | None = ctx.sampler(spec.latency, f"latency:{name}")
        self.max_deliveries = spec.max_deliveries
        self.dead_letter: Broker | None = None
        self.subscribers: list[Subscriber] = []
        self.accepted = self.rejected = 0
        self.accepted_total = 0
        self.fault: FaultState | None = None

    def link(self, handlers: dict[str, Callee], hop: Callable[[str], Sampler | None]) -> None:
        """Create subscribers once every component exists (subclasses)."""
        raise NotImplementedError

    def publish(self, partition_hint: int | None,
                keyed: bool = False) -> Generator[Any, Any, None]:
        """The publish step: wait for the acknowledgement, then make the message available.

        ``keyed``: the hint is the partition of the message's key (it cannot move to another
        partition while that one is offline). Fails with ``down`` at once while the broker
        (or a keyed message's partition) is down, and with ``fault`` after the latency when an
        ``error_rate`` fault draws it (see :mod:`archsim.model.faults`).
        """
        env = self.env
        created = env._now
        fault = self.fault
        if fault is not None and (fault.down or (keyed and partition_hint is not None
                                                 and self.offline_partition(partition_hint))):
            raise fault.refuse(created)
        if self.latency is not None:
            yield env.timeout(self.latency())
        if fault is not None and fault.fails():
            raise fault.error()
        self.accept(Message(created, -1 if partition_hint is None else partition_hint))

    def offline_partition(self, hint: int) -> bool:
        """Whether the partition of ``hint`` is offline (topics; a queue has none)."""
        return False

    def attach_fault(self, fault: FaultState) -> None:
        """Fail publishes as ``fault`` says (subclasses also pause their consumers)."""
        self.fault = fault

    def accept(self, message: Message) -> None:
        """Store a message for every subscriber (raises Rejected when full)."""
        raise NotImplementedError

    def accept_copy(self, message: Message) -> bool:
        """Take a dead-lettered message; False when it cannot (full or down)."""
        if self.fault is not None and self.fault.down:
            return False
        try:
            self.accept(Message(message.created, -1))
        except Rejected:
            return False
        return True

    def reset(self) -> None:
        self.accepted = self.rejected = 0
        for subscriber in self.subscribers:
            subscriber.reset()

    def stats(self) -> ComponentStats:
        return ComponentStats(self.name, self.spec.type, 1, None, 0.0, 0.0, 0.0, 0,
                              self.accepted, self.accepted, 0.0, self.rejected)

    def busiest(self) -> int:
        return 0

    def sample_backlog(self) -> None:
        """Record each subscriber's backlog now (called at equally spaced times)."""
        raise NotImplementedError

    def subscriber_stats(self) -> list[SubscriberStats]:
        raise NotImplementedError


def zipf_partitions(rng: Any, distinct: int, skew: float, partitions: int,
                    size: int = 4096) -> Callable[[], int]:
    """Partition of the next message's key: keys 1..distinct ~ Zipf(skew), hashed.

    The hash is Knuth's multiplicative hash (TAOCP vol. 3, 6.4), deterministic across runs.
    """
    import numpy as np

    weights = 1.0 / np.arange(1, distinct + 1, dtype=float) ** skew
    weights /= weights.sum()
    keys = np.arange(1, distinct + 1, dtype=np.uint64)
    mapped = ((keys * np.uint64(2654435761)) % np.uint64(2**32)) % np.uint64(partitions)
    table = mapped.astype(int)
    buffer: list[int] = []

    def draw() -> int:
        if not buffer:
            buffer.extend(table[rng.choice(distinct, size=size, p=weights)].tolist())
        return buffer.pop()

    return draw
