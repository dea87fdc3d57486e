"""Topics: partitions, consumer groups, one message in flight per partition and group."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from archsim.model.broker import Broker, Line, Message, Subscriber, SubscriberStats

if TYPE_CHECKING:
    import simpy

    from archsim.model.context import Context, Sampler
    from archsim.model.faults import FaultState
    from archsim.model.ops import Callee
    from archsim.spec.components import TopicSpec


class Group(Subscriber):
    """One consumer group: every partition is served by at most one consumer, in order.

    With C consumers and P partitions, min(C, P) consumers are active; consumer i owns the
    partitions p with p mod min(C, P) == i (the others stay idle, as in Kafka).
    """

    def __init__(self, key: str, ctx: Context, handler: Callee, endpoint: str, consumers: int,
                 hop: Sampler | None, owner: Broker, partitions: int) -> None:
        super().__init__(key, ctx, handler, endpoint, consumers, hop, owner)
        self.line = Line(ctx.env, partitions)
        active = min(consumers, partitions)
        self.active = active
        self.owner_of = [p % active for p in range(partitions)]
        self.wake: list[simpy.Event | None] = [None] * active
        self.handling: dict[int, Message] = {}
        self.offline: set[int] = set()  # the topic's fault state shares its set here
        for consumer in range(active):
            owned = [p for p in range(partitions) if p % active == consumer]
            ctx.env.process(self.consume(consumer, owned))

    def push(self, partition: int, message: Message) -> None:
        self.received_total += 1
        self.line.push(partition, message)
        consumer = self.owner_of[partition]
        event = self.wake[consumer]
        if event is not None:
            self.wake[consumer] = None
            event.succeed()

    def resume(self) -> None:
        """Partitions came back online: wake the consumers waiting for messages."""
        for consumer, event in enumerate(self.wake):
            if event is not None:
                self.wake[consumer] = None
                event.succeed()

    def consume(self, consumer: int, owned: list[int]) -> Generator[Any, Any, None]:
        env = self.env
        counts = self.line.counts
        offline = self.offline
        turn = 0
        count = len(owned)
        while True:
            partition = -1
            for step in range(count):
                candidate = owned[(turn + step) % count]
                if counts[candidate] and (not offline or candidate not in offline):
                    partition = candidate
                    turn = (turn + step + 1) % count
                    break
            if partition < 0:
                event = env.event()
                self.wake[consumer] = event
                yield event
                continue
            message = self.line.pop(partition)
            self.handling[consumer] = message
            while True:
                ok = yield from self.handle(message)
                if self.settle(message, ok):
                    break
            del self.handling[consumer]

    def open_messages(self) -> int:
        """Messages received and not yet finished with, counted by looking at them."""
        waiting = sum(1 for line in self.line.lines for m in line if not m.done)
        return waiting + sum(1 for m in self.handling.values() if not m.done)

    def reset(self) -> None:
        super().reset()
        self.line.reset()

    def stats(self) -> SubscriberStats:
        self.advance()
        self.line.advance()
        return SubscriberStats(
            key=self.key, consumers=self.consumers, active_consumers=self.active,
            completed=self.completed, latencies_s=self.latencies,
            backlog_area=self.line.area, backlog_max=self.line.maximum,
            backlog_final=self.line.length, partition_backlog_area=tuple(self.line.areas),
            busy_area=self.busy_area, deliveries=self.deliveries,
            redeliveries=self.redeliveries, duplicates=self.duplicates,
            dead_lettered=self.dead_lettered, handler_failed=self.handler_failed,
            received_total=self.received_total, settled_total=self.settled_total,
            in_flight_end=sum(1 for m in self.handling.values() if not m.done),
            backlog_samples=tuple(self.samples))


class TopicRuntime(Broker):
    """A partitioned log; each group gets every message."""

    kind = "topic"

    def __init__(self, name: str, spec: TopicSpec, ctx: Context) -> None:
        super().__init__(name, spec, ctx)
        self.partitions = spec.partitions
        self.groups: list[Group] = []
        self.remap_turn = 0  # round-robin publishes moved off offline partitions so far
        from archsim.model.balancing import _batched_integers

        self.random_partition = _batched_integers(ctx.rng(f"partition:{name}"), spec.partitions)

    def link(self, handlers: dict[str, Callee], hop: Callable[[str], Sampler | None]) -> None:
        for sub in self.spec.subscribers:  # type: ignore[union-attr]
            component, endpoint = sub.to.split("/")
            group = Group(f"{self.name}/{sub.group}", self.ctx, handlers[component], endpoint,
                          sub.consumers, hop(f"{self.name}/{sub.group}"), self, self.partitions)
            self.groups.append(group)
            self.subscribers.append(group)

    def accept(self, message: Message) -> None:
        partition = message.partition
        hinted = partition >= 0
        partition = self.random_partition() if partition < 0 else partition % self.partitions
        fault = self.fault
        if fault is not None and fault.offline and partition in fault.offline:
            partition = self._online(partition, hinted, fault)
        self.accepted_total += 1
        self.accepted += 1
        for group in self.groups:
            group.push(partition, Message(message.created, partition))

    def offline_partition(self, hint: int) -> bool:
        fault = self.fault
        return fault is not None and hint % self.partitions in fault.offline

    def _online(self, partition: int, hinted: bool, fault: FaultState) -> int:
        """An online partition for a message without a key whose partition is offline: the
        online partitions in turn for round-robin publishes (so they share the offline ones'
        messages evenly, as Kafka's round-robin partitioner cycles over the available
        partitions), a uniformly random one otherwise."""
        online = [p for p in range(self.partitions) if p not in fault.offline]
        if hinted:
            self.remap_turn += 1
            return online[(self.remap_turn - 1) % len(online)]
        return online[int(fault.failure.random() * len(online))]

    def attach_fault(self, fault: FaultState) -> None:
        """Share ``fault``'s offline partitions with the groups; resume them on recovery."""
        super().attach_fault(fault)
        for group in self.groups:
            group.offline = fault.offline
            fault.on_recover.append(group.resume)

    def sample_backlog(self) -> None:
        for group in self.groups:
            group.samples.append(group.line.length)

    def subscriber_stats(self) -> list[SubscriberStats]:
        return [group.stats() for group in self.groups]

    def conservation_problems(self) -> list[str]:
        """Per group: received = settled + open (waiting or in handling)."""
        problems = []
        for group in self.groups:
            if group.received_total != self.accepted_total:
                problems.append(f"{group.key}: received {group.received_total} of "
                                f"{self.accepted_total} accepted messages")
            if group.received_total != group.settled_total + group.open_messages():
                problems.append(f"{group.key}: {group.received_total} received, "
                                f"{group.settled_total} settled, {group.open_messages()} open")
        return problems
