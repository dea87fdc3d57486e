"""Inputs from a black-box break-it session (failure handling) that archsim took silently.

Each test names its finding; each input used to hang, run on with no effect, or give a
misleading message.
"""

from __future__ import annotations

import pytest

import archsim
from archsim.errors import UsageError

SMALL = """\
archsim: 1
name: t
simulation: {duration: 60s, warmup: 0s, replications: 1, seed: 1}
workload: [{name: r, to: web/get, rate: 50}]
components:
  web: {type: service, endpoints: {get: {work: 5ms}}}
"""


@pytest.mark.parametrize("interval_s", [1e-6, 1e-9, 0.5e-3])
def test_finding_2_simulate_refuses_more_than_100000_timeline_bins(interval_s: float) -> None:
    topology = archsim.load(SMALL)
    with pytest.raises(ValueError, match=r"bins per replication .* at least 600us") as caught:
        archsim.simulate(topology, timeline_s=interval_s, jobs=1)
    assert isinstance(caught.value, UsageError)
    count = f"{round(60 / interval_s):,}"
    assert f"makes {count} bins" in str(caught.value)


def test_finding_2_a_timeline_within_the_bound_still_runs() -> None:
    topology = archsim.load(SMALL)
    report = archsim.simulate(topology, duration_s=2, warmup_s=0, timeline_s=0.02, jobs=1)
    assert len(report.to_dict()["timeline"]["t_s"]) == 100


def _issues(text: str, overrides: tuple[str, ...] = ()) -> list[archsim.Issue]:
    return archsim.validate(text, list(overrides))


CALL_TIMEOUT = """\
archsim: 1
name: t
workload:
  - name: r
    to: gw/get
    rate: 100
    timeout: {client}
components:
  gw:
    type: service
    endpoints:
      get:
        calls:
          - to: api/get
            timeout: {call}
  api: {{type: service, endpoints: {{get: {{work: 10ms}}}}}}
"""


@pytest.mark.parametrize(("client", "call", "where", "position"), [
    ("30ms", "0ms", "components.gw.endpoints.get.calls[0].timeout", (15, 22)),
    ("0s", "20ms", "workload[0].timeout", (7, 14)),
])
def test_finding_7_a_zero_timeout_is_a_located_error(
        client: str, call: str, where: str, position: tuple[int, int]) -> None:
    issues = _issues(CALL_TIMEOUT.format(client=client, call=call))
    assert [(i.dotted_path, (i.line, i.column)) for i in issues] == [(where, position)]
    assert issues[0].message.startswith("expected a timeout > 0, such as 500ms, got 0s")


def test_finding_7_a_positive_timeout_is_still_accepted() -> None:
    assert _issues(CALL_TIMEOUT.format(client="1us", call="1ns")) == []


SLOWED = """\
archsim: 1
name: t
workload: [{name: r, to: gw/get, rate: 100}]
components:
  registry: {type: registry, ttl: 10s, replicas: 2, REGISTRY}
  gw:
    type: service
    discovery: registry
    endpoints:
      get: {calls: [{to: api/get}]}
  api: {type: service, endpoints: {get: {work: 5ms}}}
  db: {type: database, endpoints: {q: {}, w: {write: true, calls: [{work: 0ms}]}}}
  cache: {type: cache, endpoints: {get: {calls: [{parallel: [{work: 0s}]}]}}}
faults:
  - {component: TARGET, at: 1s, for: 1s, latency_factor: 10}
"""


@pytest.mark.parametrize(("target", "message"), [
    ("registry", "'registry' is a registry with no 'latency' to slow down; give it a "
                 "'latency' or put the fault on the services that use it"),
    ("gw", "'gw' is a service with no 'work' in any endpoint to slow down"),
    ("db", "'db' is a database with no 'work' in any endpoint to slow down"),
    ("cache", "'cache' is a cache with no 'work' in any endpoint to slow down"),
])
def test_finding_10_a_latency_factor_with_nothing_to_slow_is_a_located_error(
        target: str, message: str) -> None:
    text = SLOWED.replace("TARGET", target).replace(", REGISTRY", "")
    issues = _issues(text)
    assert [(i.dotted_path, i.line) for i in issues] == [("faults[0].latency_factor", 15)]
    assert text.splitlines()[14][issues[0].column - 1:].startswith("10}")
    assert issues[0].message.startswith(message)


@pytest.mark.parametrize(("target", "change"), [
    ("registry", ("REGISTRY", "latency: 1ms")),
    ("api", ("", "")),
    ("gw", ("{calls: [{to: api/get}]}", "{calls: [{parallel: [{work: 1ms}, {to: api/get}]}]}")),
    ("db", ("{q: {}", "{q: {work: {dist: exponential, mean: 1ms}}")),
])
def test_finding_10_a_latency_factor_with_latency_or_work_is_accepted(
        target: str, change: tuple[str, str]) -> None:
    text = SLOWED.replace("TARGET", target).replace(*change).replace(", REGISTRY", "")
    assert _issues(text) == []


FAULTED = """\
archsim: 1
name: t
workload: [{name: r, to: app/get, rate: 100}]
components:
  app: {type: service, replicas: 2, endpoints: {get: {work: 5ms, calls: [{to: db/q}]}}}
  db: {type: database, endpoints: {q: {work: 1ms}}}
slos: [{request: r, p99: 100ms}, {request: r, error_rate: 1%}]
faults:
  - component: db
    at: 20s
    for: 10s
    error_rate: 0.3
"""


@pytest.mark.parametrize("key", ["faults.0.error_rate", "faults[0].error_rate"])
def test_finding_8_a_numeric_key_part_indexes_an_unnamed_list(key: str) -> None:
    topology = archsim.load(FAULTED, [f"{key}=1", "slos.1.error_rate=2%"])
    assert topology.faults[0].error_rate == 1.0
    assert topology.slos[1].error_rate == 0.02


@pytest.mark.parametrize(("key", "message"), [
    ("faults.1.at", "index [1] is past the end of faults, which has 1 entry (faults[0])"),
    ("slos[2].p99", "index [2] is past the end of slos, which has 2 entries (slos[0] .. slos[1])"),
    ("faults.db.at", "no entry named 'db' in faults, whose entries have no 'name'; index by "
                     "position: faults has 1 entry (faults[0])"),
])
def test_finding_8_a_bad_list_index_says_how_many_entries_there_are(
        key: str, message: str) -> None:
    issues = _issues(FAULTED, (f"{key}=1s",))
    assert [(i.file, i.line, i.dotted_path, i.message) for i in issues] == [
        (f"--set {key}=1s", 0, key, message)]


def test_finding_8_a_fault_the_override_made_invalid_names_the_flag() -> None:
    flag = "faults[0].replicas_down=1"
    issues = _issues(FAULTED, (flag,))
    assert [(i.file, i.line, i.dotted_path) for i in issues] == [(f"--set {flag}", 0,
                                                                    "faults[0]")]
    assert issues[0].message.startswith("a fault needs exactly one of")
    switched = archsim.load(FAULTED, ["faults[0].error_rate=null", flag])
    assert switched.faults[0].replicas_down == 1


def test_finding_8_a_fault_invalid_in_the_file_stays_located_in_the_file() -> None:
    text = FAULTED.replace("error_rate: 0.3", "error_rate: 0.3\n    latency_factor: 2")
    issues = _issues(text, ("faults[0].at=1s",))
    assert [(i.file, i.line, i.column, i.dotted_path) for i in issues] == [
        ("<string>", 9, 5, "faults[0]")]
