"""One test per kind of mistake: the exact line, column, key path and message of each issue.

Every case changes one line of ``BASE`` (a valid topology whose line numbers are written in
the comments) and checks the single issue it produces, as yamllint's tests assert
``problem=(line, column)``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import archsim
from archsim.errors import Issue
from archsim.spec import yamlload
from archsim.spec.loader import parse

BASE = """\
archsim: 1
name: shop
simulation:
  duration: 30s
  warmup: 5s
workload:
  - name: browse
    to: lb/list
    rate: 100
components:
  lb:
    type: load_balancer
    target: web
  web:
    type: service
    replicas: 2
    workers: 4
    endpoints:
      list:
        work: 4ms
        calls:
          - to: db/select
            p: 0.5
          - publish: events
  db:
    type: database
    endpoints:
      select: {work: 2ms}
  events:
    type: topic
    subscribers:
      - group: audit
        to: db/select
"""


def broken(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def only(text: str) -> Issue:
    """The single issue of ``text`` (fails listing them all when there are more or none)."""
    topology, issues = parse(text, "t.yaml")
    assert topology is None
    assert len(issues) == 1, "\n".join(map(str, issues))
    assert issues[0].file == "t.yaml"
    return issues[0]


def where(issue: Issue) -> tuple[int, int, str]:
    return issue.line, issue.column, issue.dotted_path


def test_base_is_valid() -> None:
    topology, issues = parse(BASE)
    assert issues == []
    assert topology is not None


def test_yaml_syntax_error() -> None:
    issue = only(broken("name: shop", "name: [shop"))
    assert where(issue) == (3, 11, "(top level)")
    # LibYAML says "did not find expected", pure-Python PyYAML "expected ..., but got ':'"
    assert issue.message.startswith("YAML syntax error: ")
    assert "expected ',' or ']'" in issue.message
    assert issue.message.endswith("(while parsing a flow sequence)")
    assert issue.kind == "yaml"


def test_yaml_tab_indentation() -> None:
    issue = only(broken("    workers: 4", "\tworkers: 4"))
    assert where(issue) == (17, 1, "(top level)")
    assert issue.message == "YAML syntax error: found a tab character; indent YAML with spaces"


def test_duplicate_key_names_both_positions() -> None:
    issue = only(broken("    workers: 4\n", "    workers: 4\n    workers: 6\n"))
    assert where(issue) == (18, 5, "components.web.workers")
    assert issue.message == "duplicate key 'workers' (first defined at line 17, column 5)"
    assert issue.kind == "duplicate_key"


def test_duplicate_anchor() -> None:
    issue = only(broken("name: shop", "name: &a shop\ndescription: &a x"))
    assert where(issue) == (3, 14, "(top level)")
    assert issue.message == ("YAML syntax error: duplicate anchor 'a' "
                             "(first at line 2, column 7)")


def test_unknown_key_with_did_you_mean() -> None:
    issue = only(broken("    workers: 4", "    wrokers: 4"))
    assert where(issue) == (17, 5, "components.web.wrokers")
    assert issue.message == ("unknown key 'wrokers'; expected one of: type, description, "
                             "replicas, workers, queue, io, policy, zone, endpoints, "
                             "rate_limit, circuit_breaker, deadline, discovery, health_check, "
                             "autoscale. Did you mean 'workers'?")
    assert issue.kind == "unknown_key"


def test_misspelled_required_key_is_one_issue() -> None:
    issue = only(broken("name: shop", "nmae: shop"))
    assert where(issue) == (2, 1, "nmae")
    assert issue.message.endswith("Did you mean 'name'?")


def test_wrong_type() -> None:
    issue = only(broken("workers: 4", "workers: four"))
    assert where(issue) == (17, 14, "components.web.workers")
    assert issue.message == "expected a whole number, got 'four'"
    assert issue.kind == "type"


def test_wrong_container_type() -> None:
    issue = only(broken("    subscribers:\n      - group: audit\n        to: db/select\n",
                        "    subscribers: {group: audit, to: db/select}\n"))
    assert where(issue) == (31, 18, "components.events.subscribers")
    assert issue.message == "expected a list, got a mapping with keys: group, to"


def test_bare_number_duration() -> None:
    issue = only(broken("work: 4ms", "work: 4"))
    assert where(issue) == (20, 15, "components.web.endpoints.list.work")
    assert issue.message == ("a duration needs a unit, got the bare number 4; "
                             "did you mean '4ms' or '4s'?")


def test_bare_number_duration_inside_a_distribution() -> None:
    issue = only(broken("{work: 2ms}", "{work: {dist: exponential, mean: 0.002}}"))
    assert where(issue) == (28, 48, "components.db.endpoints.select.work.mean")
    assert issue.message.endswith("did you mean '0.002s' (or '2ms')?")


def test_integer_too_large_for_a_float() -> None:
    issue = only(broken("rate: 100", "rate: 1" + "0" * 400))
    assert where(issue) == (9, 11, "workload[0].rate")
    assert issue.message == ("a rate must be finite and >= 0, got "
                             "1000000000000000000000000000000000000...")


@pytest.mark.parametrize(("work", "column", "path", "message"), [
    ("{dist: erlang, mean: 2ms, k: 10000000}", 51, "work.k",
     "expected a value <= 1000000, got 10000000"),
    ("{dist: erlang, mean: 2ms, cv: 1e-200}", 22, "work",
     "erlang needs cv >= 0.001 (at most 1000000 phases), got cv=1e-200; use constant"),
    ("{dist: erlang, mean: 2ms, cv: 0.3}", 22, "work",
     "erlang needs cv = 1/sqrt(k) for a whole k, got cv=0.3 (k=11.11); use gamma for any cv"),
])
def test_erlang_phases_out_of_range(work: str, column: int, path: str, message: str) -> None:
    issue = only(broken("{work: 2ms}", "{work: " + work + "}"))
    assert where(issue) == (28, column, "components.db.endpoints.select." + path)
    assert issue.message == message


def test_unknown_component_type() -> None:
    issue = only(broken("type: database", "type: databse"))
    assert where(issue) == (26, 11, "components.db.type")
    assert issue.message == ("unknown component type 'databse'; expected one of service, "
                             "database, cache, load_balancer, topic, queue, registry. "
                             "Did you mean 'database'?")


def test_missing_component_type() -> None:
    issue = only(broken("    type: database\n", "    typ: database\n"))
    assert where(issue) == (26, 5, "components.db")
    assert issue.message == ("a component needs a 'type': one of service, database, cache, "
                             "load_balancer, topic, queue, registry, got a mapping with keys: typ, "
                             "endpoints. Instead of 'typ', did you mean 'type'?")


def test_unknown_endpoint_with_did_you_mean() -> None:
    issue = only(broken("          - to: db/select", "          - to: db/selct"))
    assert where(issue) == (22, 17, "components.web.endpoints.list.calls[0].to")
    assert issue.message == ("unknown endpoint 'db/selct': 'db' has select. "
                             "Did you mean 'db/select'?")
    assert issue.kind == "reference"


def test_unknown_component_in_call() -> None:
    issue = only(broken("          - to: db/select", "          - to: dbs/select"))
    assert where(issue) == (22, 17, "components.web.endpoints.list.calls[0].to")
    assert issue.message == ("call to 'dbs/select' names no component 'dbs'; components "
                             "are: lb, web, db, events. Did you mean 'db/select'?")


def test_publish_to_a_non_broker() -> None:
    issue = only(broken("publish: events", "publish: db"))
    assert where(issue) == (24, 22, "components.web.endpoints.list.calls[1].publish")
    assert issue.message == ("publish needs a topic or queue, but 'db' is a database; "
                             "call it with 'to: db/ENDPOINT'")


def test_publish_to_an_unknown_broker() -> None:
    issue = only(broken("publish: events", "publish: event"))
    assert where(issue) == (24, 22, "components.web.endpoints.list.calls[1].publish")
    assert issue.message == ("publish to 'event', which is not a component; topics and "
                             "queues are: events. Did you mean 'events'?")


def test_call_to_a_broker() -> None:
    issue = only(broken("publish: events", "to: events/send"))
    assert where(issue) == (24, 17, "components.web.endpoints.list.calls[1].to")
    assert issue.message == "'events' is a topic; send messages to it with 'publish: events'"


def test_load_balancer_target_missing() -> None:
    issue = only(broken("target: web", "target: wbe"))
    assert where(issue) == (13, 13, "components.lb.target")
    assert issue.message == ("load balancer target 'wbe' is not a component; services are: "
                             "web, db. Did you mean 'web'?")


def test_load_balancer_without_target() -> None:
    issue = only(broken("    target: web\n", ""))
    assert where(issue) == (11, 3, "components.lb.target")  # at the component's key
    assert issue.message == "missing required key 'target'"
    assert issue.kind == "missing"


def test_sync_call_cycle() -> None:
    text = broken("      select: {work: 2ms}",
                  "      select: {work: 2ms, calls: [{to: web/list}]}")
    issue = only(text)
    assert where(issue) == (28, 40, "components.db.endpoints.select.calls[0].to")
    assert issue.message == "cycle of synchronous calls: db/select -> web/list -> db/select"
    assert issue.kind == "cycle"


def test_loop_through_a_queue_is_not_a_cycle() -> None:
    text = broken("      select: {work: 2ms}",
                  "      select: {work: 2ms, calls: [{publish: events}]}")
    assert parse(text)[1] == []


def test_unknown_key_of_another_component_type() -> None:
    issue = only(broken("    workers: 4\n", "    workers: 4\n    partitions: 3\n"))
    assert where(issue) == (18, 5, "components.web.partitions")
    assert issue.message.endswith("autoscale. 'partitions' is a key of topic components")


def test_yaml_unclosed_quote_points_at_its_start() -> None:
    issue = only(BASE + 'description: "no end\n')
    assert where(issue) == (34, 14, "(top level)")
    assert issue.message == ("YAML syntax error: found unexpected end of stream (while "
                             "scanning a quoted scalar, which starts here)")


def test_warmup_not_shorter_than_duration() -> None:
    issue = only(broken("warmup: 5s", "warmup: 30s"))
    assert where(issue) == (5, 11, "simulation.warmup")
    assert issue.message == ("the warm-up must be shorter than the duration, got warm-up 30s "
                             "and duration 30s; shorten simulation.warmup (or set it to "
                             "'auto'), lengthen simulation.duration, or give --warmup or "
                             "--duration on the command line")


def test_zero_duration() -> None:
    issue = only(broken("duration: 30s", "duration: 0s"))
    assert where(issue) == (4, 13, "simulation.duration")
    assert issue.message == "the duration must be > 0, got 0s"


def test_probability_out_of_range() -> None:
    issue = only(broken("p: 0.5", "p: 1.5"))
    assert where(issue) == (23, 16, "components.web.endpoints.list.calls[0].p")
    assert issue.message == "a probability must be in [0, 1], got 1.5; did you mean '1.5%'?"


def test_workload_with_both_rate_and_users() -> None:
    issue = only(broken("    rate: 100\n", "    rate: 100\n    users: 10\n"))
    assert where(issue) == (7, 5, "workload[0]")
    assert issue.message == ("a workload needs exactly one of 'rate' (open) or "
                             "'users' (closed)")


def test_missing_required_key() -> None:
    issue = only(broken("name: shop\n", ""))
    assert where(issue) == (1, 1, "name")
    assert issue.message == "missing required key 'name'"


def test_missing_key_in_a_list_entry() -> None:
    issue = only(broken("    to: lb/list\n", ""))
    assert where(issue) == (7, 5, "workload[0].to")
    assert issue.message == "missing required key 'to'"


def test_unsupported_schema_version() -> None:
    issue = only(broken("archsim: 1", "archsim: 2"))
    assert where(issue) == (1, 10, "archsim")
    assert issue.message == "unsupported schema version 2; this archsim reads 'archsim: 1'"


def test_literal_with_did_you_mean() -> None:
    issue = only(broken("    target: web\n", "    target: web\n    policy: round_robbin\n"))
    assert where(issue) == (14, 13, "components.lb.policy")
    assert issue.message == ("expected one of 'round_robin', 'random', 'least_connections', "
                             "'power_of_two', got 'round_robbin'. Did you mean 'round_robin'?")


def test_step_without_a_kind() -> None:
    issue = only(broken("          - to: db/select", "          - too: db/select"))
    assert where(issue) == (22, 13, "components.web.endpoints.list.calls[0]")
    assert issue.message == ("a step needs one of the keys 'to', 'parallel', 'work' or "
                             "'publish', got a mapping with keys: too, p. "
                             "Instead of 'too', did you mean 'to'?")


def test_bad_component_name() -> None:
    issue = only(broken("  events:", "  my events:").replace("publish: events",
                                                             "publish: my events"))
    assert where(issue) == (29, 3, "components.my events")
    assert issue.message == "invalid component name 'my events': a name has no '/' or blanks"


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    start = time.perf_counter()
    issue = only("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 5
    assert issue.kind == "too_large"
    assert issue.message.startswith(
        f"aliases expand to more than {yamlload.MAX_ALIAS_NODES:,} nodes")
    assert where(issue) == (5, 45, "a4[7]")  # the alias that crosses the limit


def test_self_referencing_alias_is_refused() -> None:
    issue = only("a: &a [*a]\n")
    assert where(issue)[:2] == (1, 4)
    assert issue.message.startswith("nesting deeper than 100 levels once aliases are expanded")


def test_deep_nesting_is_refused_without_recursion_error() -> None:
    issue = only("a: " + "[" * 500 + "]" * 500 + "\n")  # PyYAML alone overflows near 330
    assert where(issue) == (1, 103, "(top level)")  # the 101st level
    assert issue.message == "nesting deeper than 100 levels"


def test_text_too_large() -> None:
    issue = only("# " + "x" * yamlload.MAX_BYTES + "\n")
    assert where(issue) == (1, 1, "(top level)")
    assert issue.message == "file is larger than 5 MiB; refusing to load it"


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * yamlload.MAX_BYTES + "\n")
    [issue] = archsim.validate(path)
    assert (issue.file, issue.line, issue.column) == (str(path), 0, 0)
    assert issue.message == "file is larger than 5 MiB; refusing to load it"


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n", "---\n", "~\n"])
def test_empty_file(text: str) -> None:
    issue = only(text)
    assert where(issue) == (1, 1, "(top level)")
    assert issue.message == ("the file is empty; expected a topology mapping starting with "
                             "'archsim: 1'")


@pytest.mark.parametrize(("text", "given"), [("- a\n- b\n", "list"), ("hello\n", "str"),
                                             ("# c\n42\n", "int")])
def test_non_mapping_top_level(text: str, given: str) -> None:
    issue = only(text)
    assert issue.line == text.count("#") + 1 and issue.column == 1
    assert issue.message == ("expected a mapping of sections (archsim, name, workload, "
                             f"components, ...), got {given}")


def test_several_documents() -> None:
    issue = only(BASE + "---\nname: other\n")
    assert where(issue) == (34, 1, "(top level)")  # the '---' that starts the second one
    assert issue.message == "expected one YAML document, found several ('---')"


def test_merge_key_refused() -> None:
    issue = only(broken("  db:\n", "  db:\n    <<: {replicas: 2}\n"))
    assert where(issue) == (26, 5, "components.db")
    assert issue.message == "merge keys ('<<') are not supported; write the keys out"


def test_unsupported_tag() -> None:
    issue = only(broken("name: shop", "name: !!python/object:os.system shop"))
    assert where(issue) == (2, 7, "name")
    assert issue.message == ("invalid YAML value: unsupported YAML tag "
                             "'tag:yaml.org,2002:python/object:os.system'; write a plain value "
                             "(string, number, list or mapping)")


def test_bad_explicit_timestamp_does_not_crash() -> None:
    issue = only(broken("name: shop", "name: !!int shop"))
    assert where(issue) == (2, 7, "name")
    assert issue.message.startswith("invalid YAML value 'shop' for tag 'tag:yaml.org,2002:int'")


def test_control_character() -> None:
    issue = only(broken("name: shop", "name: sh\x00op"))
    assert where(issue) == (2, 9, "(top level)")
    assert issue.message == ("the file contains the control character #x0000, which YAML "
                             "does not allow")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("name: shop", "name: café").encode("latin-1"))
    [issue] = archsim.validate(path)
    assert (issue.file, issue.line, issue.column) == (str(path), 2, 10)
    assert issue.message == ("not UTF-8 text: byte 0xe9 (invalid continuation byte); "
                             "save the file as UTF-8")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    [issue] = archsim.validate(path)
    assert (issue.file, issue.line, issue.dotted_path) == (str(path), 0, "(top level)")
    assert issue.message == "no such file"
    assert str(issue) == f"{path}: [error] (top level): no such file"


def test_mistyped_file_name_is_a_missing_file_not_a_topology() -> None:
    [issue] = archsim.validate("no-such-topology")
    assert (issue.file, issue.message) == ("no-such-topology", "no such file")


def test_endless_file_is_refused_not_read() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    [issue] = archsim.validate(Path("/dev/zero"))
    assert issue.message == "file is larger than 5 MiB; refusing to load it"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    [issue] = archsim.validate(tmp_path)
    assert issue.message == "is a directory, expected a YAML file"


def test_five_mistakes_give_five_located_issues_in_one_run() -> None:
    text = BASE
    for old, new in [("warmup: 5s", "warmup: 5"), ("rate: 100", "rate: lots"),
                     ("workers: 4", "wrokers: 4"), ("to: db/select\n            p",
                                                    "to: db/selct\n            p"),
                     ("type: topic", "type: topik")]:
        text = broken(old, new, text)
    topology, issues = parse(text, "t.yaml")
    assert topology is None
    assert [where(i) for i in issues] == [
        (5, 11, "simulation.warmup"),
        (9, 11, "workload[0].rate"),
        (17, 5, "components.web.wrokers"),
        (22, 17, "components.web.endpoints.list.calls[0].to"),
        (30, 11, "components.events.type"),
    ]
    with pytest.raises(archsim.SpecError) as info:
        archsim.load(text)
    assert len(info.value.issues) == 5
    assert str(info.value).startswith("5 problems found\n<string>:5:11: [error]")
