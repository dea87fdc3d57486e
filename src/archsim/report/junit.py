"""JUnit XML for ``archsim check --junit``, so a design repository's CI can gate on SLOs.

One ``<testsuite>`` per topology file, one ``<testcase>`` per objective and request class;
a missed objective is a ``<failure>``, a file that cannot be loaded or run is one ``<error>``
test case. This is the common subset read by Jenkins, GitLab and GitHub test reporters
(https://github.com/testmoapp/junitxml).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archsim.analysis.check import CheckResult


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """A file that could not be checked: its name and why (invalid file, unstable model)."""

    source: str
    message: str


def junit_xml(outcomes: list[CheckResult | CheckFailure]) -> str:
    """The JUnit XML document for the checked files, in the order given."""
    root = ET.Element("testsuites", name="archsim check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for outcome in outcomes:
        suite = (_failure_suite(outcome) if isinstance(outcome, CheckFailure)
                 else _suite(outcome))
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _suite(result: CheckResult) -> ET.Element:
    from archsim.analysis.slo import describe

    report = result.report
    suite = ET.Element("testsuite", name=report.topology, file=result.source,
                       tests=str(len(result.slos)), failures=str(len(result.missed)),
                       errors="0", skipped="0", time=f"{result.elapsed_s:.3f}")
    properties = ET.SubElement(suite, "properties")
    for key, value in report.simulation.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        ET.SubElement(properties, "property", name=str(key), value=text)
    for row in result.slos:
        objective, target, value = describe(row)
        case = ET.SubElement(suite, "testcase", classname=f"{report.topology}.{row['request']}",
                             name=f"{row['request']}: {objective} {target}", time="0")
        if not row["met"]:
            failure = ET.SubElement(case, "failure", type="slo_missed",
                                    message=f"{row['request']} {objective} {target}: got {value}")
            failure.text = f"{result.source}: {row['request']} {objective} {target}, got {value}"
    if report.warnings:
        ET.SubElement(suite, "system-err").text = "\n".join(
            f"warning: {w}" for w in report.warnings)
    return suite


def _failure_suite(failure: CheckFailure) -> ET.Element:
    suite = ET.Element("testsuite", name=failure.source, file=failure.source, tests="1",
                       failures="0", errors="1", skipped="0", time="0")
    case = ET.SubElement(suite, "testcase", classname=failure.source, name="load and run",
                         time="0")
    error = ET.SubElement(case, "error", type="archsim_error",
                          message=failure.message.splitlines()[0] if failure.message else "")
    error.text = failure.message
    return suite
