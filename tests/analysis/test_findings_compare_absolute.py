"""Finding: ``archsim compare`` showed a relative difference from a near-zero baseline
(error rate 0.0001 -> 0.02: +19,900%); it now shows the absolute difference there.

Theory target: an M/M/1/K queue rejects a share P_K = (1 - rho) rho^K / (1 - rho^(K+1)) of
its arrivals (Gross & Harris, *Fundamentals of Queueing Theory*, 4th ed., eq. 2.32). With
rho = 0.5: K = 13 rejects 0.0061%, K = 5 rejects 1.587%, 1.581 percentage points more.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import archsim
from archsim.analysis.compare import Difference, _difference
from archsim.report.render_compare import format_difference, render_comparison

MM1K = """\
archsim: 1
name: mm1k
simulation: {duration: 100s, warmup: 5s, replications: 5, seed: 1}
workload: [{name: req, to: server/work, rate: 50}]
components:
  server:
    type: service
    workers: 1
    queue: 12
    endpoints: {work: {work: {dist: exponential, mean: 10ms}}}
"""


def loss(rho: float, capacity: int) -> float:
    """M/M/1/K blocking probability."""
    return (1 - rho) * rho**capacity / (1 - rho ** (capacity + 1))


def test_error_rate_from_a_near_zero_baseline_is_in_percentage_points() -> None:
    layouts = {"K=13": archsim.load(MM1K),
               "K=5": archsim.load(MM1K, ["components.server.queue=4"])}
    comparison = archsim.compare(layouts, jobs=1)
    data = comparison.to_dict()
    error = data["requests"]["req"]["error_rate"]
    diff = error["differences"]["K=5"]
    expected = loss(0.5, 5) - loss(0.5, 13)
    assert expected == pytest.approx(0.01581, abs=1e-5)
    assert error["values"]["K=13"] < 0.001 < 0.01 < error["values"]["K=5"]
    assert diff["shown"] == "absolute"
    low, high = diff["ci95_absolute"]
    assert low <= expected <= high  # 5 paired replications of 100 s
    assert high - low < 0.01  # rejections come in bursts: +-0.36 pp here
    assert diff["absolute"] == pytest.approx(expected, abs=(high - low) / 2)
    assert diff["pct"] > 5000  # kept, and as meaningless as before
    assert diff["significant"] is True
    latency = data["requests"]["req"]["latency_ms_mean"]["differences"]["K=5"]
    assert latency["shown"] == "pct"  # a 20 ms baseline: percent as before
    out = io.StringIO()
    render_comparison(comparison, Console(file=out, width=250, color_system=None), plain=True)
    text = out.getvalue()
    shown = format_difference(comparison.sections["requests"]["req"]["error_rate"]
                              .differences[1], "error_rate")
    assert shown == f"{diff['absolute'] * 100:+.2f} pp ±{(high - low) / 2 * 100:.2f}"
    assert shown in text
    assert f"{diff['pct']:+.2f}%" not in text
    assert "the difference is absolute instead" in text


def test_difference_rules_by_hand() -> None:
    """Paired replications (0.0001, 0.0002, 0.0000) -> (0.019, 0.021, 0.020): the differences
    0.0189, 0.0208, 0.0200 have mean 0.019900 and sd 0.000954, so the 95% half-width is
    t(0.975, 2) x 0.000954 / sqrt(3) = 4.303 x 0.000551 = 0.002370."""
    diff = _difference(0.0001, 0.02, [0.0001, 0.0002, 0.0], [0.019, 0.021, 0.020], True, 0.01)
    assert isinstance(diff, Difference)
    assert diff.absolute_shown and diff.pct == pytest.approx(19900.0)
    assert diff.absolute == pytest.approx(0.0199)
    assert diff.ci95_absolute == (pytest.approx(0.0199 - 0.002370, abs=1e-6),
                                  pytest.approx(0.0199 + 0.002370, abs=1e-6))
    assert format_difference(diff, "error_rate") == "+1.99 pp ±0.24"
    zero = _difference(0.0, 0.4, [0.0, 0.0], [0.3, 0.5], True, 1.0)
    assert zero is not None and zero.pct is None
    assert format_difference(zero, "latency_ms_p99") == "+0.40 ms ±1.27 ~"
    big = _difference(20.0, 22.0, [19.0, 21.0], [21.0, 23.0], True, 1.0)
    assert big is not None and not big.absolute_shown
    assert format_difference(big, "latency_ms_mean") == "+10.00% ±6.35"  # delta method, paired
