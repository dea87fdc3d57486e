"""Zones: cross-zone latency once per hop direction; located errors for the new keys."""

from __future__ import annotations

import pytest

import archsim
from archsim.errors import SpecError
from engine._accuracy import simulate

ZONED = """\
archsim: 1
name: zoned
network:
  latency: 1ms
  zones:
    east: {client: 5ms, links: {west: 30ms}}
    west: {client: 40ms}
workload:
  - {name: req, to: app/read, rate: 20}
  - {name: write, to: app/write, rate: 5}
components:
  app:
    type: service
    zone: east
    endpoints:
      read: {work: 2ms, calls: [{to: db/select}]}
      write: {work: 2ms, calls: [{to: db/update}]}
  db:
    type: database
    zone: east
    read_replicas: 1
    replica_zones: [west]
    replication: {mode: sync, latency: 3ms}
    endpoints:
      select: {work: 4ms}
      update: {work: 4ms, write: true}
"""


def test_cross_zone_latency_appears_once_per_hop_direction() -> None:
    run = simulate(ZONED, duration_s=2.0, warmup_s=0.2, replications=2)
    read = run.latencies("req")[0]
    # client<->east 5 ms each way, app 2 ms, east->west 30 ms each way, replica 4 ms
    assert read.min() == pytest.approx(0.005 * 2 + 0.002 + 0.030 * 2 + 0.004)
    assert read.max() == pytest.approx(read.min())
    write = run.latencies("write")[0]
    # primary in east: 1 ms each way; sync replication to west: 30 ms out, 3 ms apply, 30 back
    assert write.min() == pytest.approx(0.005 * 2 + 0.002 + 0.001 * 2 + 0.004 + 0.063)
    assert run.component("db")["replication_lag_ms"]["mean"] == pytest.approx(33.0)


def test_same_zone_hops_take_network_latency() -> None:
    text = ZONED.replace("replica_zones: [west]", "replica_zones: [east]")
    run = simulate(text, duration_s=2.0, warmup_s=0.2, replications=2)
    assert run.latencies("req")[0].min() == pytest.approx(0.010 + 0.002 + 0.002 + 0.004)


@pytest.mark.parametrize(("old", "new", "path", "message"), [
    ("zone: east\n    endpoints:\n      read", "zone: eats\n    endpoints:\n      read",
     "components.app.zone", "Did you mean 'east'?"),
    ("replica_zones: [west]", "replica_zones: [wset]", "components.db.replica_zones[0]",
     "got 'wset'"),
    ("{mode: sync, latency: 3ms}", "{mode: quorum, latency: 3ms}", "components.db.replication",
     "expected 'acks'"),
    ("read_replicas: 1", "read_replicas: 1\n    replicas: 2", "components.db",
     "expected 'replicas: 1'"),
    ("links: {west: 30ms}", "links: {}", "network",
     "got none between 'east' and 'west'"),
    ("select: {work: 4ms}", "select: {work: 4ms, write: maybe}",
     "components.db.endpoints.select.write", "expected true or false"),
])
def test_new_keys_give_located_errors(old: str, new: str, path: str, message: str) -> None:
    assert old in ZONED
    with pytest.raises(SpecError) as caught:
        archsim.load(ZONED.replace(old, new, 1))
    issues = caught.value.issues
    text = "\n".join(f"{i.dotted_path}: {i.message}" for i in issues)
    assert any(i.dotted_path.startswith(path) and message in i.message and i.line
               for i in issues), text


def test_cache_miss_targets_are_checked() -> None:
    text = ZONED.replace("  db:\n", """\
  cache:
    type: cache
    hit_ratio: 0.9
    miss: [{to: db/selct}]
    endpoints: {get: {work: 1ms}}
  db:
""")
    with pytest.raises(SpecError) as caught:
        archsim.load(text)
    issue = caught.value.issues[0]
    assert issue.dotted_path == "components.cache.miss[0].to"
    assert "Did you mean 'db/select'?" in issue.message
