"""Every bundled model and example topology validates, runs, and keeps its key figures.

Each topology runs with a fixed seed and a short duration (``RUN``); its key figures (per
request class throughput, mean and p99 latency, error rate; per subscriber throughput and mean
latency; the bottleneck) are compared with a stored copy in ``tests/golden/models/`` or
``tests/golden/examples/`` at 4 decimals. Runs are deterministic, so any difference means an
engine change moved the numbers. After an intended change, regenerate the stored copies with
``ARCHSIM_UPDATE_GOLDEN=1 pytest tests/test_examples.py`` and review the diff.

The three layouts of the shop are also held to the ranges their comments promise (issue 10:
the ranges commonly quoted for these patterns), on the throughput-weighted mean latency.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import archsim

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted((Path(archsim.__file__).parent / "models").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*/*.yaml"))
GOLDEN = Path(__file__).parent / "golden"
RUN = {"duration_s": 5.0, "warmup_s": 1.0, "replications": 2, "seed": 1}
PLACES = 4
UPDATE = os.environ.get("ARCHSIM_UPDATE_GOLDEN") == "1"

# model -> (throughput range in requests/s, mean latency range in ms)
RANGES = {
    "monolith": ((100.0, 500.0), (50.0, 200.0)),
    "microservices": ((500.0, 2000.0), (20.0, 50.0)),
    "event-driven": ((1000.0, 5000.0), (10.0, 20.0)),
}


def golden_path(path: Path) -> Path:
    """Where a topology's key figures are stored."""
    if path in MODELS:
        return GOLDEN / "models" / f"{path.stem}.json"
    return GOLDEN / "examples" / f"{path.parent.name}--{path.stem}.json"


def key_figures(report: dict[str, Any]) -> dict[str, Any]:
    """The figures an engine change must not move unnoticed, rounded to ``PLACES`` decimals."""
    def number(value: float | None) -> float | None:
        return None if value is None else round(value, PLACES)

    requests = {
        name: {"throughput_rps": number(entry["throughput_rps"]),
               "error_rate": number(entry["error_rate"]),
               "mean_ms": number(entry["latency_ms"]["mean"]),
               "p99_ms": number(entry["latency_ms"]["p99"])}
        for name, entry in report["requests"].items()
    }
    subscribers = {
        name: {"throughput_rps": number(entry["throughput_rps"]),
               "mean_ms": number(entry["latency_ms"]["mean"])}
        for name, entry in report.get("subscribers", {}).items()
    }
    return {"topology": report["topology"], "run": RUN, "bottleneck": report["bottleneck"],
            "requests": requests, "subscribers": subscribers}


def overall(figures: dict[str, Any]) -> tuple[float, float]:
    """Total throughput (requests/s) and throughput-weighted mean latency (ms)."""
    requests = figures["requests"].values()
    total = sum(entry["throughput_rps"] for entry in requests)
    mean = sum(entry["throughput_rps"] * entry["mean_ms"] for entry in requests) / total
    return total, mean


@pytest.mark.parametrize("path", MODELS + EXAMPLES, ids=lambda path: str(
    path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name))
def test_topology_runs_and_keeps_its_key_figures(path: Path) -> None:
    topology = archsim.load(str(path))
    report = archsim.simulate(topology, jobs=1, **RUN).to_dict()  # type: ignore[arg-type]
    figures = key_figures(report)
    assert all(entry["throughput_rps"] > 0 for entry in figures["requests"].values()), figures
    stored = golden_path(path)
    if UPDATE:
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    assert stored.exists(), f"missing {stored}; run with ARCHSIM_UPDATE_GOLDEN=1 to create it"
    assert figures == json.loads(stored.read_text(encoding="utf-8")), (
        f"{path.name}: key figures moved from {stored} (ARCHSIM_UPDATE_GOLDEN=1 regenerates)")
    if path.stem in RANGES and path in MODELS:
        (low_rps, high_rps), (low_ms, high_ms) = RANGES[path.stem]
        throughput, mean = overall(figures)
        assert low_rps <= throughput <= high_rps, f"{path.stem}: {throughput:.1f} requests/s"
        assert low_ms <= mean <= high_ms, f"{path.stem}: mean {mean:.2f} ms"


def test_every_example_has_a_readme_and_a_topology() -> None:
    folders = sorted(path for path in (ROOT / "examples").iterdir() if path.is_dir())
    assert len(folders) >= 5
    for folder in folders:
        assert (folder / "README.md").is_file(), f"{folder.name} has no README.md"
        assert list(folder.glob("*.yaml")), f"{folder.name} has no topology"


def test_the_shop_ranges_are_checked_on_every_layout() -> None:
    assert {path.stem for path in MODELS} >= set(RANGES)
