"""Time-varying rates: the shapes' integrals, and located errors for bad shapes."""

from __future__ import annotations

import math

import pytest

import archsim
from archsim.errors import SpecError
from archsim.spec.rates import BurstRate, ProfileRate, RampRate, Schedule

BASE = """archsim: 1
name: t
workload:
  - {{name: a, to: s/e, rate: {rate}}}
components: {{s: {{type: service, endpoints: {{e: {{work: 1ms}}}}}}}}
"""


def shape(rate: str):
    return archsim.load(BASE.format(rate=rate)).workload[0].rate


def test_plain_numbers_stay_floats() -> None:
    assert shape("400") == 400.0
    assert shape("'24000/min'") == 400.0


@pytest.mark.parametrize(("rate", "kind", "expected_0_20", "peak"), [
    ("[{at: 0s, rate: 10}, {at: 5s, rate: 0}, {at: 15s, rate: 30}]", Schedule,
     10 * 5 + 30 * 5, 30),
    ("{ramp: {from: 0, to: 100, over: 10s}}", RampRate, 500 + 1000, 100),
    ("{burst: {rate: 100, every: 10s, for: 2s, base: 5}}", BurstRate, 2 * 200 + 16 * 5, 100),
    ("{profile: [{at: 0s, rate: 0}, {at: 10s, rate: 100}, {at: 20s, rate: 0}]}",
     ProfileRate, 1000, 100),
])
def test_shapes_integrate_exactly(rate: str, kind: type, expected_0_20: float,
                                  peak: float) -> None:
    value = shape(rate)
    assert isinstance(value, kind)
    assert value.expected(0, 20) == pytest.approx(expected_0_20)
    assert value.peak == peak


def test_periodic_profile_repeats() -> None:
    value = shape("{profile: [{at: 0s, rate: 10}, {at: 12h, rate: 50}], period: 24h}")
    assert value.rate_at(6 * 3600) == pytest.approx(30)
    assert value.rate_at(30 * 3600) == pytest.approx(30)
    assert value.rate_at(18 * 3600) == pytest.approx(30)  # wraps from 50 back to 10
    assert value.ends_s == math.inf


def test_schedule_ending_at_zero_ends() -> None:
    assert shape("[{at: 0s, rate: 10}, {at: 5s, rate: 0}]").ends_s == 5.0


@pytest.mark.parametrize(("rate", "path", "at", "message"), [
    ("[{at: 5s, rate: 10}, {at: 1s, rate: 0}]", "workload[0].rate", "[{at: 5s",
     "expected times in increasing order, got 1s after 5s"),
    ("{ramp: {from: 0, to: 100, ovr: 10s}}", "workload[0].rate.ramp.ovr", "ovr",
     "unknown key 'ovr'"),
    ("{burst: {rate: 100, every: 1s, for: 2s}}", "workload[0].rate.burst", "{rate: 100",
     "expected 0 < 'for' <= 'every', got for 2s and every 1s"),
    ("{bursts: 3}", "workload[0].rate", "{bursts", "a mapping with 'ramp', 'burst' or 'profile'"),
    ("[{at: 5, rate: 10}]", "workload[0].rate[0].at", "5, rate", "did you mean '5ms' or '5s'?"),
])
def test_bad_shapes_are_located(rate: str, path: str, at: str, message: str) -> None:
    text = BASE.format(rate=rate)
    with pytest.raises(SpecError) as caught:
        archsim.load(text)
    issue = caught.value.issues[0]
    assert (issue.line, issue.dotted_path) == (4, path)
    assert issue.column == text.splitlines()[3].index(at) + 1
    assert message in issue.message
