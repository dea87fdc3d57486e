"""``archsim graph``: the graph built from a topology, its three renderings, and the command.

Golden files live in tests/golden/graph/. After an intended change of output, regenerate them
with ``ARCHSIM_UPDATE_GOLDEN=1 python -m pytest tests/test_graph.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archsim
from archsim.cli.app import app
from archsim.cli.common import bundled_models_dir
from archsim.graph import build_graph, render_dot, render_mermaid, render_text

GOLDEN = Path(__file__).parent / "golden" / "graph"
TOPOLOGIES = {
    "monolith": bundled_models_dir() / "monolith.yaml",
    "shop": GOLDEN / "shop.yaml",
}
RENDERERS = {"txt": render_text, "mmd": render_mermaid, "dot": render_dot}
UPDATE = os.environ.get("ARCHSIM_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def shop() -> archsim.Topology:
    return archsim.load(TOPOLOGIES["shop"])


@pytest.mark.parametrize("suffix", sorted(RENDERERS))
@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
def test_output_matches_golden_file(name: str, suffix: str) -> None:
    text = RENDERERS[suffix](archsim.load(TOPOLOGIES[name]))
    golden = GOLDEN / f"{name}.{suffix}"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden}; run with ARCHSIM_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("render", RENDERERS.values())
def test_output_is_deterministic(shop: archsim.Topology, render) -> None:
    assert render(shop) == render(archsim.load(TOPOLOGIES["shop"]))


def test_nodes_are_clients_then_components_in_file_order(shop: archsim.Topology) -> None:
    graph = build_graph(shop)
    clients = ["client:browse", "client:checkout", "client:admins"]
    assert list(graph.nodes) == clients + list(shop.components)
    assert graph.nodes["client:admins"]["users"] == 20
    assert graph.nodes["client:browse"]["rate_per_s"] == 400.0
    assert {k: graph.nodes["web"][k] for k in ("type", "replicas", "workers")} == {
        "type": "service", "replicas": 3, "workers": 8}
    assert graph.nodes["db"]["type"] == "database"
    assert graph.nodes["cache"]["workers"] == 64
    assert graph.nodes["order-events"]["partitions"] == 6
    assert graph.nodes["jobs"]["capacity"] == 10000


def _edges(graph, kind: str) -> list[tuple[str, str, dict]]:
    return sorted(((u, v, d) for u, v, d in graph.edges(data=True) if d["kind"] == kind),
                  key=lambda edge: edge[2]["order"])


def test_edges_of_every_kind(shop: archsim.Topology) -> None:
    graph = build_graph(shop)
    assert [(u, v, d["label"]) for u, v, d in _edges(graph, "request")] == [
        ("client:browse", "gateway", "gateway/list"),
        ("client:checkout", "gateway", "gateway/checkout"),
        ("client:admins", "gateway", "gateway/list"),
    ]
    assert [(u, v) for u, v, _ in _edges(graph, "forward")] == [("gateway", "web")]
    calls = {d["label"]: d for _, _, d in _edges(graph, "call")}
    assert calls["list -> db/select (p=0.1)"]["p"] == 0.1
    assert calls["checkout -> payment/charge (parallel)"]["parallel"] is True
    assert calls["checkout -> auth/verify (timeout 300ms, 2 retries)"]["parallel"] is False
    assert all(d["sync"] for d in calls.values())
    publishes = [(u, v, d["label"], d["sync"]) for u, v, d in _edges(graph, "publish")]
    assert publishes == [
        ("web", "order-events", "checkout -> order-events (publish)", False),
        ("web", "jobs", "checkout -> jobs (publish, p=0.25)", False),
    ]
    subscriptions = [(u, v, d.get("group"), d["consumers"])
                     for u, v, d in _edges(graph, "subscribe")]
    assert subscriptions == [
        ("order-events", "notifications", "notifier", 6),
        ("order-events", "analytics", "analytics", 1),
        ("jobs", "worker", None, 4),
    ]


def test_repeated_calls_between_two_components_are_separate_edges(
        shop: archsim.Topology) -> None:
    graph = build_graph(shop)
    assert graph.number_of_edges("web", "cache") == 2


def test_edges_keep_file_order_in_text(shop: archsim.Topology) -> None:
    web_block = render_text(shop).split("\nweb ")[1].split("\nauth ")[0]
    labels = [line.split("  ")[-1].strip() for line in web_block.splitlines()
              if line.startswith(("  -> ", "  ~> "))]
    assert labels == [
        "list -> cache/get", "list -> db/select (p=0.1)",
        "checkout -> auth/verify (timeout 300ms, 2 retries)",
        "checkout -> inventory/reserve (parallel)", "checkout -> payment/charge (parallel)",
        "checkout -> cache/get (p=0.5, parallel)", "checkout -> order-events (publish)",
        "checkout -> jobs (publish, p=0.25)",
    ]


def test_messages_are_dashed(shop: archsim.Topology) -> None:
    dot = render_dot(shop)
    assert '"web" -> "jobs" [label="checkout -> jobs (publish, p=0.25)", style=dashed];' in dot
    assert '"web" -> "db" [label="list -> db/select (p=0.1)"];' in dot
    mermaid = render_mermaid(shop)
    assert mermaid.count(" -.->|") == 5  # two publishes, three subscriptions


def test_names_are_escaped() -> None:
    topology = archsim.load('archsim: 1\nname: say "hi"\nworkload: [{name: a, to: s/e, '
                            'rate: 1}]\ncomponents: {s: {type: service, endpoints: {e: {}}}}')
    assert 'digraph "say \\"hi\\"" {' in render_dot(topology)
    assert "%% say #quot;hi#quot;" in render_mermaid(topology)


runner = CliRunner()


@pytest.mark.parametrize("suffix,output_format", [("txt", "text"), ("mmd", "mermaid"),
                                                  ("dot", "dot")])
def test_cli_prints_each_format(suffix: str, output_format: str) -> None:
    result = runner.invoke(app, ["graph", "monolith", "--format", output_format])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (GOLDEN / f"monolith.{suffix}").read_text(encoding="utf-8")


def test_cli_defaults_to_text_and_writes_output_file(tmp_path: Path) -> None:
    target = tmp_path / "shop.txt"
    result = runner.invoke(app, ["graph", str(TOPOLOGIES["shop"]), "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == (GOLDEN / "shop.txt").read_text(
        encoding="utf-8")


def test_cli_invalid_file_prints_located_issues_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("archsim: 1\nname: x\nworkload: [{name: a, to: s/ee, rate: 1}]\n"
                   "components: {s: {type: service, endpoints: {e: {work: 1ms}}}}\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["graph", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"{bad}:3:26: [error] workload[0].to: unknown endpoint 's/ee': "
                             "'s' has e. Did you mean 's/e'?\n")


def test_cli_missing_file_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["graph", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_cli_bad_format_is_a_usage_error() -> None:
    result = runner.invoke(app, ["graph", "monolith", "--format", "png"])
    assert result.exit_code == 2
    assert "Invalid value for --format: expected one of 'text', 'mermaid', 'dot', got 'png'" \
        in result.stderr


def test_multi_line_description_is_one_title_line() -> None:
    topology = archsim.load("archsim: 1\nname: t\ndescription: >\n  two\n  lines\n\n  more\n"
                            "workload: [{name: a, to: s/e, rate: 1}]\n"
                            "components: {s: {type: service, endpoints: {e: {}}}}\n")
    assert render_text(topology).splitlines()[0] == "t: two lines more"


def test_graph_shows_read_replicas_zones_and_cache_hit_model() -> None:
    from archsim.graph import render_text

    text = render_text(archsim.load("""\
archsim: 1
name: zones
network:
  zones: {east: {client: 1ms, links: {west: 30ms}}, west: {client: 1ms}}
workload: [{name: r, to: api/get, rate: 10}]
components:
  api: {type: service, zone: east, endpoints: {get: {calls: [{to: cache/get}, {to: db/read}]}}}
  cache: {type: cache, zone: east, hit_ratio: 0.9, endpoints: {get: {work: 1ms}}}
  db:
    type: database
    zone: east
    read_replicas: 2
    replica_zones: [east, west]
    replication: {mode: quorum, acks: 1}
    endpoints: {read: {work: 2ms}}
"""))
    assert "zone east" in text
    assert "2 read replicas (quorum 1 acks replication, reads from replicas)" in text
    assert "replica zones east/west" in text
    assert "hit ratio 0.9" in text
