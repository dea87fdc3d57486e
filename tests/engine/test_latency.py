"""Network latency per hop: deterministic models, so the checks are exact (float precision).

SPEC: each call hop adds the network latency on the way out and on the way back, the client's
request to its entry component is a hop too, and a call may set its own ``latency``. A load
balancer's forward to the replica is a hop as well, and its ``latency`` is processing time
added once. With zero work, constant latencies and constant arrivals 100 ms apart (far more
than any response here) nothing ever waits, so every response time is a known constant.
"""

from __future__ import annotations

import numpy as np
import pytest

from ._accuracy import simulate

L = 0.001  # network latency, one way (seconds)


def model(entry: str, components: str) -> str:
    return f"""\
archsim: 1
name: latency
network: {{latency: 1ms}}
workload: [{{name: req, to: {entry}, rate: 10, arrivals: constant}}]
components:
{components}"""


def response_times(yaml_text: str) -> np.ndarray:
    run = simulate(yaml_text, duration_s=5.0, warmup_s=0.5, replications=2, seed=3)
    samples = run.samples_s["req"]
    assert len(samples) == 100  # 10/s for 5 s, two replications
    return samples


CASES = {
    # client -> s: one hop, out and back
    "client hop only": ("s/e", "  s: {type: service, endpoints: {e: {work: 0ms}}}\n", 2 * L),
    # client -> s -> t: a call adds 2L more
    "one call": ("s/e", """\
  s: {type: service, endpoints: {e: {work: 0ms, calls: [{to: t/f}]}}}
  t: {type: service, endpoints: {f: {work: 0ms}}}
""", 4 * L),
    # two sequential calls: 2L + 2 x 2L
    "two calls": ("s/e", """\
  s: {type: service, endpoints: {e: {calls: [{to: t/f}, {to: t/f}]}}}
  t: {type: service, endpoints: {f: {work: 0ms}}}
""", 6 * L),
    # parallel calls overlap: 2L + 2L
    "parallel calls": ("s/e", """\
  s: {type: service, endpoints: {e: {calls: [{parallel: [{to: t/f}, {to: u/g}]}]}}}
  t: {type: service, endpoints: {f: {work: 0ms}}}
  u: {type: service, endpoints: {g: {work: 0ms}}}
""", 4 * L),
    # a call's own latency replaces the network default on that hop only
    "call latency override": ("s/e", """\
  s: {type: service, endpoints: {e: {calls: [{to: t/f, latency: 5ms}]}}}
  t: {type: service, endpoints: {f: {work: 0ms}}}
""", 2 * L + 2 * 0.005),
    # client -> lb (2L), lb forward -> replica (2L)
    "load balancer forward": ("lb/e", """\
  lb: {type: load_balancer, target: s, latency: 0ms}
  s: {type: service, replicas: 2, endpoints: {e: {work: 0ms}}}
""", 4 * L),
    # balancer processing is added once
    "load balancer processing": ("lb/e", """\
  lb: {type: load_balancer, target: s, latency: 0.5ms}
  s: {type: service, replicas: 2, endpoints: {e: {work: 0ms}}}
""", 4 * L + 0.0005),
    # work adds to the hops
    "work plus hops": ("s/e", "  s: {type: service, endpoints: {e: {work: 3ms}}}\n",
                       2 * L + 0.003),
}


@pytest.mark.parametrize("case", list(CASES))
def test_latency_per_hop(case):
    entry, components, expected = CASES[case]
    samples = response_times(model(entry, components))
    print(f"CHECK latency {case}: simulated min {samples.min():.9g} max {samples.max():.9g} "
          f"theory {expected:.9g} tolerance 1e-9 (deterministic)")
    assert samples.min() == pytest.approx(expected, abs=1e-9)
    assert samples.max() == pytest.approx(expected, abs=1e-9)


def test_no_network_section_means_zero_latency():
    text = model("s/e", "  s: {type: service, endpoints: {e: {work: 3ms}}}\n")
    samples = response_times(text.replace("network: {latency: 1ms}\n", ""))
    assert samples.max() == pytest.approx(0.003, abs=1e-9)
