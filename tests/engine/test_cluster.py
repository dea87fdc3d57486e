"""Where replications run does not change what they give: this process, local processes, Dask.

A sweep runs every point's replications as one batch; the JSON must be byte-identical whether
they run here (``jobs=1``), over a local process pool, or on a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import json
import sys

import pytest

import archsim
from archsim.engine.batch import BatchRun, simulate_batch
from archsim.engine.cluster import Call, open_executor, run_calls
from archsim.errors import ArchsimError, ModelError

MM1 = """\
archsim: 1
name: mm1
simulation: {duration: 3s, warmup: 0.5s, replications: 2, seed: 11}
workload: [{name: req, to: server/work, rate: 50}]
components:
  server: {type: service, workers: 1, endpoints: {work: {work: {dist: exponential, mean: 10ms}}}}
"""
SCALES = [0.5, 1.5, 2.5]  # the last is past capacity (rate scale 2.0): an unstable point


def sweep_json(**options: object) -> str:
    result = archsim.sweep(MM1, SCALES, max_in_flight=200, **options)  # type: ignore[arg-type]
    return json.dumps(result.to_dict(), indent=2, allow_nan=False)


@pytest.fixture(scope="module")
def local_json() -> str:
    return sweep_json(jobs=1)


def test_batch_report_equals_simulate() -> None:
    topology = archsim.load(MM1)
    expected = archsim.simulate(topology, rate_scale=1.5, jobs=1).to_dict()
    [report] = simulate_batch([BatchRun(topology, 1.5)])
    assert not isinstance(report, ModelError)
    assert report.to_dict() == expected


def test_batch_auto_warmup_equals_simulate() -> None:
    topology = archsim.load(MM1)
    expected = archsim.simulate(topology, warmup_s=None, jobs=1).to_dict()
    [report] = simulate_batch([BatchRun(topology)], warmup_s=None)
    assert report.to_dict() == expected  # type: ignore[union-attr]


def test_unstable_run_is_an_error_and_spoils_no_other() -> None:
    topology = archsim.load(MM1)
    stable, unstable = simulate_batch([BatchRun(topology, 1.0), BatchRun(topology, 3.0)],
                                      max_in_flight=100)
    assert isinstance(unstable, ModelError)
    assert "requests in flight" in str(unstable)
    assert not isinstance(stable, ModelError)


def test_local_pool_gives_identical_json(local_json: str) -> None:
    assert sweep_json(jobs=2) == local_json


def test_dask_local_cluster_gives_identical_json(local_json: str) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert sweep_json(cluster=cluster) == local_json
        with distributed.Client(cluster) as client:  # a client passed in stays open
            assert sweep_json(cluster=client) == local_json
            assert client.status == "running"


def test_run_calls_keeps_order_and_catches_archsim_errors() -> None:
    calls = [Call(pow, (2, n)) for n in range(5)] + [Call(_fail, ())]
    seen: list[float] = []
    outcomes = run_calls(None, calls, seen.append)
    assert outcomes[:5] == [1, 2, 4, 8, 16]
    assert isinstance(outcomes[5], ArchsimError)
    assert seen[-1] == pytest.approx(1.0)
    assert seen == sorted(seen)


def test_missing_distributed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ArchsimError, match=r"pip install 'archsim\[dask\]'"):
        with open_executor(cluster="tcp://127.0.0.1:8786"):
            pass


def test_bad_cluster_object_is_refused() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ArchsimError, match="scheduler address"):
        with open_executor(cluster=42):
            pass


def _fail() -> None:
    raise ArchsimError("no")
