"""The corpus of broken topologies: each file has one mistake and says where it is reported.

The first line of every file in ``corpus/`` reads::

    # expect: <line>:<column> <dotted.path> <text the message contains>

Each file must yield exactly that one issue, and ``archsim validate`` must exit 1 and print it
in the ``file:line:col: [error] path: message`` form, without a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archsim
from archsim.cli.app import app

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (\(top level\)|\S+) (.+)$")


def expectation(path: Path) -> tuple[int, int, str, str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    match = EXPECT.match(first)
    assert match, f"{path.name}: first line must be '# expect: LINE:COL PATH MESSAGE'"
    return int(match[1]), int(match[2]), match[3], match[4]


def test_corpus_is_large_enough() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_one_located_issue(path: Path) -> None:
    line, column, dotted, text = expectation(path)
    issues = archsim.validate(path)
    assert len(issues) == 1, "\n".join(map(str, issues))
    [issue] = issues
    assert (issue.line, issue.column, issue.dotted_path) == (line, column, dotted), str(issue)
    assert text in issue.message
    assert issue.file == str(path)


def test_load_raises_the_same_issue() -> None:
    path = CORPUS / "unknown_endpoint.yaml"
    with pytest.raises(archsim.SpecError) as info:
        archsim.load(path)
    assert info.value.issues == archsim.validate(path)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_validate_command_exits_1_without_traceback(path: Path) -> None:
    line, column, dotted, text = expectation(path)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"{path}:{line}:{column}: [error] {dotted}: ")
    assert text in result.stderr
    assert result.stdout == f"{path}: 1 problem\n"


def test_validate_command_json_lists_every_file() -> None:
    chosen = FILES[:3]
    result = CliRunner().invoke(app, ["validate", "--format", "json", *map(str, chosen)])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert [f["file"] for f in payload["files"]] == [str(p) for p in chosen]
    for entry, path in zip(payload["files"], chosen, strict=True):
        line, column, dotted, text = expectation(path)
        [issue] = entry["issues"]
        assert (issue["line"], issue["column"], issue["path"]) == (line, column, dotted)
        assert text in issue["message"]
