"""The topology example of SPEC section 1, as written and with its missing components added.

The example calls five components it never defines. As written it must give one located
error per reference to them (and nothing else); with them added it must validate. The example
is read from the specification when it is present (``/work/shared/SPEC.md``, or the path in
``ARCHSIM_SPEC``), otherwise from the copy saved in ``data/spec_example.yaml``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import archsim
from archsim.spec.loader import parse

DATA = Path(__file__).parent / "data"
SPEC = Path(os.environ.get("ARCHSIM_SPEC", "/work/shared/SPEC.md"))
UNDEFINED = ("auth", "inventory", "payment", "notifications", "worker")


def spec_example() -> str:
    """The first YAML block of SPEC section 1, or the saved copy when SPEC is absent."""
    if not SPEC.is_file():
        return (DATA / "spec_example.yaml").read_text(encoding="utf-8")
    section = SPEC.read_text(encoding="utf-8").split("\n## 1.", 1)[1]
    match = re.search(r"^```yaml\n(.*?)^```", section, re.S | re.M)
    assert match, "SPEC section 1 has no ```yaml block"
    return match.group(1)


def position_of(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the only occurrence of ``needle`` in ``text``."""
    assert text.count(needle) == 1, needle
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def test_saved_copy_matches_the_specification() -> None:
    if not SPEC.is_file():
        pytest.skip("SPEC.md is not available here; the saved copy is used")
    assert (DATA / "spec_example.yaml").read_text(encoding="utf-8") == spec_example(), (
        "SPEC section 1 changed: refresh tests/spec/data/spec_example*.yaml")


def test_example_as_written_names_exactly_the_undefined_components() -> None:
    text = spec_example()
    topology, issues = parse(text, "spec.yaml")
    assert topology is None
    expected = {
        ("components", "web", "endpoints", "checkout", "calls", 0, "to"): "auth/verify",
        ("components", "web", "endpoints", "checkout", "calls", 1, "parallel", 0, "to"):
            "inventory/reserve",
        ("components", "web", "endpoints", "checkout", "calls", 1, "parallel", 1, "to"):
            "payment/charge",
        ("components", "order-events", "subscribers", 0, "to"): "notifications/send",
        ("components", "jobs", "subscribers", 0, "to"): "worker/run",
        ("faults", 0, "component"): "payment",
    }
    assert [issue.path for issue in issues] == list(expected)
    for issue, target in zip(issues, expected.values(), strict=True):
        needle = f"to: {target}" if "/" in target else f"component: {target}"
        line, column = position_of(text, needle)
        assert (issue.file, issue.line, issue.column) == ("spec.yaml", line,
                                                          column + needle.index(" ") + 1)
        assert issue.kind == "reference"
        component = target.split("/")[0]
        assert component in UNDEFINED
        assert issue.message in (
            f"{'call to' if 'web' in issue.path else 'subscriber'} '{target}' names no "
            f"component '{component}'; components are: gateway, web, cache, db, order-events, "
            "jobs",
            f"fault on '{component}', which is not a component")
    assert {target.split("/")[0] for target in expected.values()} == set(UNDEFINED)


def test_example_with_the_components_added_validates() -> None:
    fixed = DATA / "spec_example_fixed.yaml"
    assert archsim.validate(fixed) == []
    topology = archsim.load(fixed)
    assert set(UNDEFINED) <= set(topology.components)
    checkout = topology.components["web"].endpoints["checkout"]
    assert checkout.work.dist == "lognormal"
    assert checkout.work.mean == pytest.approx(0.006)
    assert checkout.work.cv == 1.5
    assert topology.workload_named("browse").rate == 400.0
    assert topology.workload_named("admins").users == 20
    assert topology.slos[1].error_rate == pytest.approx(0.001)


def test_fixed_copy_is_the_example_plus_the_components() -> None:
    fixed = (DATA / "spec_example_fixed.yaml").read_text(encoding="utf-8")
    body = fixed.split("\n", 2)[2]  # after the two comment lines
    added = body[body.index("\n  auth:"): body.index("\nfaults:")]
    assert body.replace(added, "") == spec_example()
