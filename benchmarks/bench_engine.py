"""Engine speed and memory: archsim against a hand-written SimPy model of the same network.

Run ``python benchmarks/bench_engine.py`` (``--quick`` for short runs, ``--scenario a|b|all``,
``--requests 10000000`` for the long-run memory check of scenario (a)); see benchmarks/README.md.

Speed is measured in this process, best of ``--repeat`` runs, archsim and the hand-written model
alternating, so both see the same interpreter, caches and machine load. Peak memory is the
``ru_maxrss`` of a child process that runs one model once, so runs never contaminate each other.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import simpy

SEED = 1
GIB = 1024**3

MM1_YAML = """\
archsim: 1
name: bench-mm1
workload:
  - {name: req, to: server/op, rate: 800}
components:
  server:
    type: service
    workers: 1
    endpoints:
      op: {work: {dist: exponential, mean: 1ms}}
"""

CHAIN_YAML = """\
archsim: 1
name: bench-chain
workload:
  - {name: req, to: lb/op, rate: 2000}
components:
  lb: {type: load_balancer, target: api, policy: round_robin}
  api:
    type: service
    replicas: 3
    workers: 8
    io: blocking
    endpoints:
      op:
        work: {dist: exponential, mean: 2ms}
        calls:
          - to: users/get
          - to: catalog/get
          - to: db/query
  users:
    type: service
    workers: 4
    endpoints:
      get: {work: {dist: exponential, mean: 1.2ms}}
  catalog:
    type: service
    workers: 4
    endpoints:
      get: {work: {dist: exponential, mean: 1.2ms}}
  db:
    type: database
    workers: 8
    endpoints:
      query: {work: {dist: exponential, mean: 2.4ms}}
"""


def handwritten_mm1(duration_s: float, seed: int) -> int:
    """M/M/1 (800/s, mean 1 ms) as a textbook SimPy model; returns completed requests."""
    env = simpy.Environment()
    expo = random.Random(seed).expovariate
    server = simpy.Resource(env, capacity=1)
    done = [0]

    def request():
        with server.request() as req:
            yield req
            yield env.timeout(expo(1000.0))
        done[0] += 1

    def source():
        while True:
            yield env.timeout(expo(800.0))
            env.process(request())

    env.process(source())
    env.run(until=duration_s)
    return done[0]


def handwritten_chain(duration_s: float, seed: int) -> int:
    """Scenario (b) as a textbook SimPy model; returns completed requests."""
    env = simpy.Environment()
    expo = random.Random(seed).expovariate
    api = [simpy.Resource(env, capacity=8) for _ in range(3)]
    users = simpy.Resource(env, capacity=4)
    catalog = simpy.Resource(env, capacity=4)
    db = simpy.Resource(env, capacity=8)
    done = [0]

    def call(station, rate):
        with station.request() as req:
            yield req
            yield env.timeout(expo(rate))

    def request(replica):
        with replica.request() as req:  # blocking io: the api worker is held through calls
            yield req
            yield env.timeout(expo(500.0))
            yield from call(users, 1 / 0.0012)
            yield from call(catalog, 1 / 0.0012)
            yield from call(db, 1 / 0.0024)
        done[0] += 1

    def source():
        index = 0
        while True:
            yield env.timeout(expo(2000.0))
            env.process(request(api[index]))  # round robin
            index = (index + 1) % 3

    env.process(source())
    env.run(until=duration_s)
    return done[0]


@dataclass(frozen=True)
class Scenario:
    """One network, in YAML for archsim and as a hand-written model."""

    key: str
    title: str
    yaml: str
    handwritten: Callable[[float, int], int]
    rate_per_s: float
    duration_s: float
    quick_duration_s: float


SCENARIOS = {
    "a": Scenario("a", "M/M/1, 800/s, 1 ms", MM1_YAML, handwritten_mm1, 800.0, 250.0, 25.0),
    "b": Scenario("b", "LB + 3x8 blocking + 2 services + db", CHAIN_YAML, handwritten_chain,
                  2000.0, 60.0, 6.0),
}


def load_archsim(scenario: Scenario) -> object:
    """The scenario's validated topology (parsed outside the timed region)."""
    import archsim
    import archsim.engine.build  # imports done before any timing

    return archsim.load(scenario.yaml)


def run_archsim(topology: object, duration_s: float, seed: int = SEED) -> int:
    """One in-process archsim replication; returns completed requests."""
    from archsim.engine.run import RunSettings, run_replication

    settings = RunSettings(duration_s=duration_s, warmup_s=0.0, max_in_flight=10_000_000)
    result = run_replication(topology, seed, settings)  # type: ignore[arg-type]
    return sum(c.completed for c in result.classes)


def run_model(scenario: Scenario, impl: str, duration_s: float,
              topology: object | None = None) -> int:
    if impl == "archsim":
        return run_archsim(topology or load_archsim(scenario), duration_s)
    return scenario.handwritten(duration_s, SEED)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def best_rate(scenario: Scenario, duration_s: float, repeat: int,
              clock: str = "wall") -> dict[str, tuple[int, float]]:
    """Best (completed, seconds) of ``repeat`` runs per implementation, alternating."""
    best: dict[str, tuple[int, float]] = {}
    topology = load_archsim(scenario)
    now = CLOCKS[clock]
    for _ in range(repeat):
        for impl in ("archsim", "handwritten"):
            gc.collect()
            start = now()
            completed = run_model(scenario, impl, duration_s, topology)
            wall = now() - start
            if impl not in best or wall < best[impl][1]:
                best[impl] = (completed, wall)
    return best


def child_memory(scenario: Scenario, impl: str, duration_s: float) -> dict[str, float]:
    """Run one model once in a fresh interpreter; its baseline and peak RSS (bytes)."""
    command = [sys.executable, __file__, "--child", scenario.key, impl, repr(duration_s)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def peak_rss() -> int:
    """This process's peak resident set size in bytes.

    Linux's ``VmHWM`` belongs to the process image, so it starts afresh at exec; ``ru_maxrss``
    can carry over the parent's peak from before the exec, so it is only the fallback.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _child(key: str, impl: str, duration_s: float) -> None:
    scenario = SCENARIOS[key]
    # import and load before the baseline, so the growth is the run's own
    topology = load_archsim(scenario) if impl == "archsim" else None
    baseline = peak_rss()
    start = time.perf_counter()
    completed = run_model(scenario, impl, duration_s, topology)
    wall = time.perf_counter() - start
    peak = peak_rss()
    print(json.dumps({"baseline": baseline, "peak": peak, "completed": completed, "wall": wall}))


def mib(size: float) -> str:
    return f"{size / 1024**2:.0f}"


def bench(keys: list[str], quick: bool, repeat: int, clock: str = "wall") -> None:
    rate = "req/s" if clock == "wall" else "req/cpu-s"
    header = (f"{'scenario':<40} {'model':<12} {'requests':>9} {rate:>9} {'ratio':>6} "
              f"{'peak MiB':>9} {'run MiB':>8}")
    print(header)
    print("-" * len(header))
    for key in keys:
        scenario = SCENARIOS[key]
        duration = scenario.quick_duration_s if quick else scenario.duration_s
        best = best_rate(scenario, duration, repeat, clock)
        rates = {impl: completed / wall for impl, (completed, wall) in best.items()}
        for impl in ("archsim", "handwritten"):
            memory = child_memory(scenario, impl, duration)
            ratio = f"{rates['archsim'] / rates['handwritten']:.2f}" if impl == "archsim" else ""
            title = f"({key}) {scenario.title}" if impl == "archsim" else ""
            print(f"{title:<40} {impl:<12} {best[impl][0]:>9} {rates[impl]:>9.0f} {ratio:>6} "
                  f"{mib(memory['peak']):>9} {mib(memory['peak'] - memory['baseline']):>8}",
                  flush=True)


def long_run(requests: int) -> None:
    scenario = SCENARIOS["a"]
    duration = requests / scenario.rate_per_s
    print(f"(a) long run: {requests} requests expected ({duration:.0f} simulated s) ...",
          flush=True)
    memory = child_memory(scenario, "archsim", duration)
    verdict = "OK" if memory["peak"] < GIB else "OVER 1 GiB"
    print(f"completed {memory['completed']} in {memory['wall']:.1f} s wall "
          f"({memory['completed'] / memory['wall']:.0f} req/s); peak RSS {mib(memory['peak'])} "
          f"MiB (baseline {mib(memory['baseline'])} MiB) -> {verdict} (target < 1 GiB)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about 10x shorter)")
    parser.add_argument("--scenario", choices=["a", "b", "all"], default="all")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per model (best kept)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default) or this process's CPU time, steadier on a "
                             "busy machine")
    parser.add_argument("--requests", type=int, metavar="N",
                        help="instead: peak RSS of one archsim run of scenario (a) with N requests")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        key, impl, duration = args.child
        _child(key, impl, float(duration))
    elif args.requests:
        long_run(args.requests)
    else:
        keys = ["a", "b"] if args.scenario == "all" else [args.scenario]
        bench(keys, args.quick, args.repeat, args.clock)


if __name__ == "__main__":
    main()
