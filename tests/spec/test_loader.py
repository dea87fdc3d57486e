"""Loading valid topologies: SI values, immutable objects, and ``--set`` overrides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pydantic
import pytest
from typer.testing import CliRunner

import archsim
from archsim.cli.app import app
from archsim.spec.loader import parse, read_source
from archsim.spec.schema import Topology

MODELS = sorted((Path(archsim.__file__).parent / "models").glob("*.yaml"))
FIXED = Path(__file__).parent / "data" / "spec_example_fixed.yaml"

SMALL = """\
archsim: 1
name: small
network:
  latency: 500us
workload:
  - name: browse
    to: lb/list
    rate: 24000/min
  - name: staff
    to: lb/list
    users: 5
    think: 1.5s
components:
  lb: {type: load_balancer, target: web}
  web:
    type: service
    replicas: 2
    endpoints:
      list:
        work: {dist: lognormal, mean: 6ms, cv: 1.5}
        calls:
          - to: db/select
            p: "10%"
            timeout: 300ms
            retries: {max: 2, backoff: 50ms}
          - parallel: [{to: db/select}, {work: 1ms}]
  db: {type: database, endpoints: {select: {work: 2ms}}}
"""


@pytest.mark.parametrize("path", [*MODELS, FIXED], ids=lambda p: p.stem)
def test_valid_files_load(path: Path) -> None:
    assert archsim.validate(path) == []
    topology = archsim.load(path)
    assert isinstance(topology, Topology)
    assert topology.source == str(path)
    assert archsim.load(path) == topology  # loading is deterministic


def test_values_are_in_seconds_and_per_second() -> None:
    topology = archsim.load(SMALL)
    assert topology.network.latency.mean == pytest.approx(500e-6)
    assert topology.workload[0].rate == pytest.approx(400.0)
    assert topology.workload[1].think == 1.5
    assert topology.simulation.duration == 60.0  # the defaults, in seconds too
    assert topology.simulation.warmup == 5.0
    endpoint = topology.components["web"].endpoints["list"]
    assert endpoint.work.mean == pytest.approx(0.006)
    assert endpoint.work.cv == 1.5
    call = endpoint.calls[0]
    assert (call.p, call.timeout, call.retries.max) == (pytest.approx(0.1), 0.3, 2)
    assert call.retries.backoff == pytest.approx(0.05)
    assert topology.components["db"].workers == 20  # a database's own default
    assert topology.components["db"].endpoints["select"].work.mean == pytest.approx(0.002)


def test_text_path_and_pathlike_give_the_same_topology(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    from_text = archsim.load(SMALL)
    from_path = archsim.load(path)
    assert from_path.model_copy(update={"source": "<string>"}) == from_text
    assert archsim.load(str(path)).source == str(path)


@pytest.mark.parametrize(("source", "is_text"), [
    ("archsim: 1", True), ("{archsim: 1}", True), ("", True), ("  ", True), ("# note", True),
    ("a\nb", True), ("shop", False), ("shop.yaml", False), ("dir/shop.yml", False),
])
def test_strings_are_text_or_paths(source: str, is_text: bool) -> None:
    if is_text:
        assert read_source(source) == (source, "<string>")
    else:
        with pytest.raises(archsim.SpecError, match="no such file"):
            read_source(source)


def test_lists_are_tuples() -> None:
    topology = archsim.load(SMALL)
    assert isinstance(topology.workload, tuple)
    calls = topology.components["web"].endpoints["list"].calls
    assert isinstance(calls, tuple)
    assert isinstance(calls[1].parallel, tuple)
    assert isinstance(topology.faults, tuple) and isinstance(topology.slos, tuple)


@pytest.mark.parametrize("change", [
    lambda t: setattr(t, "name", "other"),
    lambda t: setattr(t.workload[0], "rate", 1.0),
    lambda t: setattr(t.components["web"], "replicas", 9),
    lambda t: setattr(t.components["web"].endpoints["list"].calls[0], "p", 1.0),
    lambda t: setattr(t.simulation, "seed", 3),
    lambda t: setattr(t.network.latency, "mean", 1.0),
])
def test_models_are_frozen(change: Callable[[Topology], None]) -> None:
    topology = archsim.load(SMALL)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        change(topology)
    assert topology == archsim.load(SMALL)


def test_parse_reports_instead_of_raising() -> None:
    topology, issues = parse(SMALL)
    assert issues == [] and topology is not None
    topology, issues = parse(SMALL.replace("rate: 24000/min", "rate: lots"))
    assert topology is None and len(issues) == 1


def test_load_raises_spec_error_with_every_issue() -> None:
    text = SMALL.replace("replicas: 2", "replicas: 0").replace("think: 1.5s", "think: 1.5")
    with pytest.raises(archsim.SpecError) as info:
        archsim.load(text)
    assert [i.dotted_path for i in info.value.issues] == ["workload[1].think",
                                                          "components.web.replicas"]


def test_missing_path_is_an_issue_not_an_exception() -> None:
    with pytest.raises(archsim.SpecError) as info:
        archsim.load("no-such-topology.yaml")
    [issue] = info.value.issues
    assert (issue.file, issue.message) == ("no-such-topology.yaml", "no such file")


# --- --set overrides -------------------------------------------------------------------------

def test_override_a_component_value() -> None:
    topology = archsim.load(SMALL, overrides=["components.web.replicas=5"])
    assert topology.components["web"].replicas == 5


def test_override_a_list_entry_by_name() -> None:
    topology = archsim.load(SMALL, overrides=["workload.browse.rate=500"])
    assert topology.workload_named("browse").rate == 500.0
    assert topology.workload_named("staff").users == 5


def test_override_by_index_with_units() -> None:
    topology = archsim.load(SMALL, overrides=[
        "workload[0].rate=60000/min",
        "components.web.endpoints.list.calls[0].p=25%",
        "components.web.endpoints.list.work={dist: exponential, mean: 3ms}",
        "simulation.duration=10s",
    ])
    assert topology.workload[0].rate == pytest.approx(1000.0)
    endpoint = topology.components["web"].endpoints["list"]
    assert endpoint.calls[0].p == pytest.approx(0.25)
    assert (endpoint.work.dist, endpoint.work.mean) == ("exponential", pytest.approx(0.003))
    assert topology.simulation.duration == 10.0


def test_later_override_wins_and_file_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    topology = archsim.load(path, ["components.web.replicas=5", "components.web.replicas=7"])
    assert topology.components["web"].replicas == 7
    assert path.read_text(encoding="utf-8") == SMALL
    assert archsim.load(path).components["web"].replicas == 2


def test_override_creates_a_missing_section() -> None:
    topology = archsim.load(SMALL, overrides=["simulation.seed=9", "components.web.queue=50"])
    assert topology.simulation.seed == 9
    assert topology.components["web"].queue == 50


@pytest.mark.parametrize(("flag", "path", "message"), [
    ("components.web.replicas=0", "components.web.replicas", "expected a value >= 1, got 0"),
    ("simulation.duration=5", "simulation.duration",
     "a duration needs a unit, got the bare number 5; did you mean '5ms' or '5s'?"),
    ("workload.brwse.rate=1", "workload.brwse.rate",
     "no entry named 'brwse' (entries: browse, staff). Did you mean 'browse'?"),
    ("components.wbe.replicas=5", "components.wbe.replicas",
     "no key 'wbe' in components. Did you mean 'web'?"),
    ("workload[5].rate=1", "workload[5].rate",
     "index [5] is past the end of workload, which has 2 entries (workload[0] .. workload[1])"),
    ("name.first=x", "name.first", "cannot set name.first: name is not a mapping"),
    ("components.web.wrokers=4", "components.web.wrokers",
     "unknown key 'wrokers'; expected one of: type, description, replicas, workers, queue, "
     "io, policy, zone, endpoints, rate_limit, circuit_breaker, deadline, discovery, "
     "health_check, autoscale. Did you mean 'workers'?"),
    ("components.web.endpoints.list.calls[0].to=db/selct",
     "components.web.endpoints.list.calls[0].to",
     "unknown endpoint 'db/selct': 'db' has select. Did you mean 'db/select'?"),
    ("components.web.replicas", "(top level)",
     "expected KEY=VALUE, got 'components.web.replicas'"),
    ("components..web=1", "(top level)", "malformed key path 'components..web' at character 12"),
    ("=1", "(top level)", "empty key path"),
])
def test_bad_override_is_located_on_the_flag(flag: str, path: str, message: str) -> None:
    topology, issues = parse(SMALL, "small.yaml", [flag])
    assert topology is None
    assert [(i.file, i.line, i.column, i.dotted_path, i.message) for i in issues] == [
        (f"--set {flag}", 0, 0, path, message)]
    assert str(issues[0]) == f"--set {flag}: [error] {path}: {message}"


def test_file_issues_keep_their_location_next_to_override_issues() -> None:
    text = SMALL.replace("replicas: 2", "replicas: two")
    topology, issues = parse(text, "small.yaml", ["workload.browse.rate=-1"])
    assert topology is None
    assert [(i.file, i.line, i.dotted_path) for i in issues] == [
        ("small.yaml", 17, "components.web.replicas"),
        ("--set workload.browse.rate=-1", 0, "workload[0].rate"),
    ]


def test_an_override_can_fix_a_file() -> None:
    text = SMALL.replace("replicas: 2", "replicas: 0")
    assert archsim.validate(text) != []
    assert archsim.load(text, ["components.web.replicas=3"]).components["web"].replicas == 3


def test_validate_command_with_set(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    runner = CliRunner()
    good = runner.invoke(app, ["validate", str(path), "--set", "components.web.replicas=5"])
    assert (good.exit_code, good.stdout, good.stderr) == (0, f"{path}: OK\n", "")
    bad = runner.invoke(app, ["validate", str(path), "--set", "components.web.replicas=0"])
    assert bad.exit_code == 1
    assert bad.stderr == ("--set components.web.replicas=0: [error] components.web.replicas: "
                          "expected a value >= 1, got 0\n")
    assert "Traceback" not in bad.output
