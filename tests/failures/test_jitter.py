"""Backoff without jitter synchronises retries; full jitter spreads them (seen in the timeline).

A database replica (M/M/1, utilization rho = 0.8) crashes for 50 ms every 5 s. The requests
waiting in its room fail together at the crash and, with a fixed 100 ms backoff, all come back
in the same instant; with full jitter each waits a uniform share of the 100 ms instead
(Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).

Attempts in the timeline bin (width d = 5 ms) centred on crash + 100 ms, in expectation:

- without jitter: lambda d (first attempts that happen to fall there) + Lq (the waiting room
  at the crash; M/M/1 Lq = rho^2 / (1 - rho), Kleinrock vol. 1, 3.2, by PASTA for a crash at
  a time independent of the queue) + rho (the request in service, whose caller learns of the
  crash at once) + lambda d / 2 (arrivals refused in the first d / 2 of the outage retry
  100 ms later);
- with full jitter: lambda d + (Lq + rho + lambda x 50 ms) d / b: every failed request's retry
  is uniform over the 100 ms after its failure, so it lands in a given bin with probability
  d / b (second retries of the few refused twice are neglected).

Crashes 5 s apart (the queue relaxes in about 1 / (mu (1 - sqrt rho)^2) = 0.9 s) are taken as
independent samples of the bin count.
"""

from __future__ import annotations

import archsim
from archsim.engine.replicate import run_replications
from archsim.engine.run import RunSettings
from engine._accuracy import check

RATE, WORK_S, BIN_S, BACKOFF_S, DOWN_S = 80.0, 0.010, 0.005, 0.100, 0.050
CRASHES_S = [5 * k + BIN_S / 2 for k in range(1, 20)]  # mid-bin, so crash + b is mid-bin too

HERD = """
archsim: 1
name: herd
network: {{latency: 0ms}}
workload: [{{name: req, to: api/get, rate: 80}}]
components:
  api:
    type: service
    workers: 1000
    endpoints:
      get:
        calls:
          - to: db/q
            retries: {{max: 3, backoff: 100ms, multiplier: 1, jitter: {jitter}}}
  db:
    type: database
    workers: 1
    queue: 10000
    endpoints: {{q: {{work: {{dist: exponential, mean: 10ms}}}}}}
faults:
{faults}
"""


def _bin_counts(jitter: str) -> tuple[list[int], dict]:
    faults = "\n".join(f"  - {{component: db, at: {t * 1000:.1f}ms, for: 50ms, "
                       "replicas_down: 1}" for t in CRASHES_S)
    topology = archsim.load(HERD.format(jitter=jitter, faults=faults))
    results = run_replications(topology, 7, 6, RunSettings(100.0, 0.0, timeline_s=BIN_S),
                               jobs=1)
    counts = []
    for result in results:
        assert result.timeline is not None
        (attempts,) = result.timeline.attempts.values()
        counts += [attempts[int((t + BACKOFF_S) / BIN_S)] for t in CRASHES_S]
    return counts, results[0].failures.calls  # type: ignore[union-attr]


def test_fixed_backoff_brings_the_waiting_room_back_in_one_instant() -> None:
    rho = RATE * WORK_S
    lq = rho**2 / (1 - rho)
    counts, calls = _bin_counts("false")
    theory = RATE * BIN_S + lq + rho + RATE * BIN_S / 2
    check("attempts in the bin at crash + backoff, no jitter", counts, theory)
    (edge,) = calls.values()
    assert edge["attempts"] > edge["calls"]  # the crashes did cause retries


def test_full_jitter_spreads_the_same_retries_over_the_backoff() -> None:
    rho = RATE * WORK_S
    lq = rho**2 / (1 - rho)
    counts, _ = _bin_counts("true")
    theory = RATE * BIN_S + (lq + rho + RATE * DOWN_S) * BIN_S / BACKOFF_S
    mean, _tolerance = check("attempts in the bin at crash + backoff, full jitter", counts,
                             theory)
    synchronised = RATE * BIN_S + lq  # the no-jitter expectation, without its small terms
    assert mean < synchronised / 3


def test_timeline_attempts_add_up_to_the_calls_section() -> None:
    from archsim.engine.simulate import simulate

    faults = "  - {component: db, at: 2s, for: 50ms, replicas_down: 1}"
    topology = archsim.load(HERD.format(jitter="false", faults=faults))
    report = simulate(topology, replications=2, jobs=1, seed=3, duration_s=5.0, warmup_s=1.0,
                      timeline_s=0.1).to_dict()
    timeline = report["timeline"]
    (name, series), = timeline["calls"].items()
    warm = timeline["warmup_bins"]
    assert sum(series["attempts"][warm:]) == report["calls"][name]["attempts"]
    assert series["attempts_rps"][warm] == round(series["attempts"][warm] / (2 * 0.1), 4)
