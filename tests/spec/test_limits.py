"""Size limits: large files load, alias bombs and absurd counts are refused, each located.

Every refusal is checked at its exact line and column, as in ``test_errors.py``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim.cli.app import app
from archsim.errors import Issue
from archsim.spec import yamlload
from archsim.spec.limits import MAX_SIMULATED_S
from archsim.spec.loader import parse
from archsim.spec.rates import BurstRate, ProfileRate

BASE = """\
archsim: 1
name: limits
simulation:
  duration: 30s
  replications: 3
  seed: 7
workload:
  - name: browse
    to: web/list
    rate: 100
  - name: admins
    to: web/list
    users: 10
    think: 1s
components:
  web:
    type: service
    replicas: 2
    workers: 8
    queue: 100
    autoscale: {min: 1, max: 4}
    rate_limit: {rate: 1000, burst: 10}
    circuit_breaker: {min_calls: 20}
    endpoints:
      list:
        work: 1ms
        calls:
          - to: db/select
            retries: {max: 2, backoff: 10ms}
          - to: cache/get
          - publish: events
            key: {distinct: 100}
          - publish: jobs
  db:
    type: database
    read_replicas: 2
    endpoints:
      select: {work: 2ms}
  cache:
    type: cache
    keys: {count: 1000, capacity: 100}
    endpoints:
      get: {work: 0.1ms}
  events:
    type: topic
    partitions: 6
    max_deliveries: 3
    subscribers:
      - {group: audit, to: db/select, consumers: 2}
  jobs:
    type: queue
    capacity: 1000
    max_deliveries: 3
    subscribers:
      - {to: db/select, consumers: 4}
"""


def broken(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def only(text: str) -> Issue:
    """The single issue of ``text``."""
    topology, issues = parse(text, "t.yaml")
    assert topology is None
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def where(issue: Issue) -> tuple[int, int, str]:
    return issue.line, issue.column, issue.dotted_path


def test_base_is_valid() -> None:
    topology, issues = parse(BASE)
    assert issues == []
    assert topology is not None


# --- 1. Large files and alias bombs ---------------------------------------------------------

WORKLOAD_ENTRIES = 25_000  # 100,008 values: past the old guard (100,000 values built)


def many_workloads(count: int) -> str:
    """A valid topology with ``count`` request classes, one flow mapping per line."""
    lines = ["archsim: 1", "name: big", "workload:"]
    lines += [f"  - {{name: w{i}, to: web/list, rate: 1}}" for i in range(count)]
    lines += ["components:", "  web:", "    type: service", "    endpoints:",
              "      list: {work: 1ms}"]
    return "\n".join(lines) + "\n"


def test_large_file_without_aliases_loads() -> None:
    text = many_workloads(WORKLOAD_ENTRIES)
    assert len(text.encode()) < yamlload.MAX_BYTES
    start = time.process_time()  # processor time: the wall clock of a shared machine varies 5x
    topology, issues = parse(text, "big.yaml")
    elapsed = time.process_time() - start
    assert issues == []
    assert topology is not None and len(topology.workload) == WORKLOAD_ENTRIES
    # 1 MB, 175,000 YAML nodes: measured 4.3 s of processor time (YAML about 60%, pydantic
    # the rest; 1.6 s for 8,600 entries, 60,000 nodes). The bound only catches a blow-up.
    assert elapsed < 30, f"{elapsed:.1f}s"


def test_aliases_that_add_few_nodes_are_fine() -> None:
    text = broken("      list:\n", "      list: &list\n")
    text = text.replace("  db:\n", "  other:\n    type: service\n    endpoints:\n"
                                     "      list: *list\n  db:\n")
    topology, issues = parse(text)
    assert issues == []
    assert topology is not None
    assert topology.components["other"].endpoints["list"] == (
        topology.components["web"].endpoints["list"])


BOMB = """\
a0: &a0 [x, x, x, x, x, x, x, x, x, x]
a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
a3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
a7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
a8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
"""
"""Billion laughs: a8 alone expands to about 1.1e9 nodes."""


def test_billion_laughs_is_refused_at_the_alias() -> None:
    start = time.perf_counter()
    issue = only(BOMB)
    assert time.perf_counter() - start < 5
    # a1..a3 add 100 + 1,100 + 11,100 nodes; a4's 8th '*a3' (11,110 more) crosses 100,000
    assert where(issue) == (5, 45, "a4[7]")
    assert issue.kind == "too_large"
    assert issue.message == (
        "aliases expand to more than 100,000 nodes (this '*a3' adds 11,110); refusing to "
        "load it (an alias bomb?)")


def test_alias_bomb_under_a_key_is_located_at_the_alias() -> None:
    a4 = "a4: &a4 {k: *a3, l: [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]}"
    issue = only("\n".join(a4 if line.startswith("a4:") else line
                           for line in BOMB.splitlines()) + "\n")
    assert where(issue) == (5, 52, "a4.l[6]")  # k and l[0..5] stay within 100,000


def test_billion_laughs_validate_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    start = time.perf_counter()
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert time.perf_counter() - start < 5
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"{path}:5:45: [error] a4[7]: aliases expand to more ")


# --- 2. Upper bounds on counts, rates and the simulated time --------------------------------

HUGE = "1" + "0" * 400  # 10**400


@pytest.mark.parametrize(("old", "new", "position", "limit"), [
    ("    workers: 8", f"    workers: {HUGE}", (19, 14, "components.web.workers"), 100_000),
    ("    workers: 8", "    workers: 100001", (19, 14, "components.web.workers"), 100_000),
    ("    replicas: 2", "    replicas: 10001", (18, 15, "components.web.replicas"), 10_000),
    ("    queue: 100", "    queue: 1000001", (20, 12, "components.web.queue"), 1_000_000),
    ("{min: 1, max: 4}", "{min: 1, max: 10001}", (21, 30, "components.web.autoscale.max"),
     10_000),
    ("burst: 10}", "burst: 1000000001}", (22, 37, "components.web.rate_limit.burst"),
     1_000_000_000),
    ("min_calls: 20}", "min_calls: 1000001}",
     (23, 34, "components.web.circuit_breaker.min_calls"), 1_000_000),
    ("max: 2, backoff", "max: 101, backoff",
     (29, 28, "components.web.endpoints.list.calls[0].retries.max"), 100),
    ("backoff: 10ms}", "backoff: 10ms, multiplier: 11}",
     (29, 58, "components.web.endpoints.list.calls[0].retries.multiplier"), 10.0),
    ("distinct: 100}", "distinct: 10000001}",
     (32, 29, "components.web.endpoints.list.calls[2].key.distinct"), 10_000_000),
    ("read_replicas: 2", "read_replicas: 1001", (36, 20, "components.db.read_replicas"), 1000),
    ("{count: 1000,", "{count: 10000001,", (41, 19, "components.cache.keys.count"), 10_000_000),
    ("capacity: 100}", "capacity: 1000001}", (41, 35, "components.cache.keys.capacity"),
     1_000_000),
    ("partitions: 6", "partitions: 100001", (46, 17, "components.events.partitions"), 100_000),
    ("consumers: 2}", "consumers: 100001}",
     (49, 50, "components.events.subscribers[0].consumers"), 100_000),
    ("    max_deliveries: 3\n    subscribers:\n      - {group",
     "    max_deliveries: 1001\n    subscribers:\n      - {group",
     (47, 21, "components.events.max_deliveries"), 1000),
    ("capacity: 1000\n", "capacity: 1000000001\n", (52, 15, "components.jobs.capacity"),
     1_000_000_000),
    ("consumers: 4}", "consumers: 100001}",
     (55, 36, "components.jobs.subscribers[0].consumers"), 100_000),
    ("users: 10", "users: 100001", (13, 12, "workload[1].users"), 100_000),
    ("replications: 3", "replications: 10001", (5, 17, "simulation.replications"), 10_000),
    ("seed: 7", "seed: 9223372036854775808", (6, 9, "simulation.seed"), 2**63 - 1),
])
def test_count_above_its_limit(old: str, new: str, position: tuple[int, int, str],
                               limit: int) -> None:
    issue = only(broken(old, new))
    assert where(issue) == position
    given = re.findall(r"\d+", new)[-1]
    shown = given if len(given) <= 60 else given[:57] + "..."
    assert issue.message == f"expected a value <= {limit}, got {shown}"


def test_counts_at_their_limits_are_valid() -> None:
    text = BASE
    for old, new in [("workers: 8", "workers: 100000"),
                     ("replicas: 2\n    workers", "replicas: 10000\n    workers"),
                     ("queue: 100", "queue: 1000000"), ("max: 4}", "max: 10000}"),
                     ("partitions: 6", "partitions: 100000"), ("users: 10", "users: 100000")]:
        text = broken(old, new, text)
    text = text.replace("{min: 1, max", "{min: 10000, max")
    topology, issues = parse(text)
    assert issues == []
    assert topology is not None


def test_absurd_rate() -> None:
    issue = only(broken("    rate: 100\n", "    rate: 1e12/s\n"))
    assert where(issue) == (10, 11, "workload[0].rate")
    assert issue.message == ("a rate must be at most 1e+09 per second (archsim simulates "
                             "every request), got '1e12/s'")


def test_absurd_simulated_duration() -> None:
    issue = only(broken("duration: 30s", "duration: 8.76e12h"))  # 1e9 years
    assert where(issue) == (4, 13, "simulation.duration")
    assert issue.message == ("expected a simulated duration of at most 8760h (one year), "
                             "got 3.1536e+16s")


def test_autoscale_interval_too_short() -> None:
    issue = only(broken("{min: 1, max: 4}", "{min: 1, max: 4, interval: 1us}"))
    assert where(issue) == (21, 16, "components.web.autoscale")
    assert issue.message == "expected an interval of at least 1ms, got 1e-06s"


def test_health_check_interval_too_short() -> None:
    issue = only(broken("    queue: 100\n", "    queue: 100\n    health_check: {interval: 1ns}\n"))
    assert where(issue) == (21, 19, "components.web.health_check")
    assert issue.message == "expected an 'interval' of at least 1ms, got 1e-09s"


def test_burst_every_nanosecond_over_a_year_is_integrated_at_once() -> None:
    shape = BurstRate.model_validate({"burst": {"rate": 10, "every": "1ns", "for": "0.5ns"}})
    start = time.perf_counter()
    assert shape.expected(0.0, MAX_SIMULATED_S) == pytest.approx(5 * MAX_SIMULATED_S)
    assert time.perf_counter() - start < 1  # walking 3e16 bursts one by one never ended


def test_burst_load_is_exact_between_any_two_times() -> None:
    shape = BurstRate.model_validate({"burst": {
        "rate": 72.15400323407826, "every": "0.12084992817599587s",
        "for": "0.05937113847148308s", "base": 2.2876222127045267, "at": "4.726353477769612s"}})
    # a fine trapezoid rule gives 57.42352; the walk over the edges gave 57.46098
    assert shape.expected(45.07137288057418, 46.60087203225186) == pytest.approx(
        57.4235224, rel=1e-5)


def test_short_profile_period_over_a_long_run_is_integrated_at_once() -> None:
    shape = ProfileRate.model_validate({"profile": [{"at": "0s", "rate": 0},
                                                    {"at": "1us", "rate": 10}], "period": "2us"})
    start = time.perf_counter()
    assert shape.expected(0.5e-6, 1e6 + 0.5e-6) == pytest.approx(5e6)
    assert time.perf_counter() - start < 1


def test_schema_states_the_limits() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    service = json.loads(result.stdout)["$defs"]["ServiceSpec"]["properties"]
    assert service["workers"]["maximum"] == 100_000
    assert service["replicas"]["maximum"] == 10_000


# --- 3. Several YAML documents ---------------------------------------------------------------

def test_second_document_is_reported_at_its_separator() -> None:
    issue = only(BASE + "---\nname: other\n")
    assert where(issue) == (56, 1, "(top level)")
    assert issue.message == "expected one YAML document, found several ('---')"


def test_second_document_after_an_explicit_first_one() -> None:
    issue = only("---\n" + BASE + "--- {name: other}\n")
    assert where(issue) == (57, 1, "(top level)")
