"""Broken policy files: every problem is reported, each with the line it is on."""

from __future__ import annotations

import textwrap

import pytest

from interven_autoguard.engine.policy import Policy, check_file, check_text, format_errors
from interven_autoguard.errors import ConfigurationError, PolicyError


def errors_of(text: str) -> list[tuple[int | None, str]]:
    return check_text(textwrap.dedent(text).lstrip("\n"))


def lines_of(text: str) -> list[int | None]:
    return [line for line, _ in errors_of(text)]


def test_valid_text_has_no_errors():
    assert errors_of('[[rules]]\nid = "a"\ndecision = "DENY"\nhosts = ["x.test"]\n') == []
    assert check_text("") == []


def test_toml_syntax_error_reports_tomllib_line():
    errs = errors_of(
        """
        [settings]
        max_body_bytes = 10

        [[rules]]
        id = "a"
        decision = DENY
        """
    )
    assert len(errs) == 1
    line, msg = errs[0]
    assert line == 6 and msg.startswith("TOML syntax error")


def test_unknown_key_in_third_rule_points_at_the_key():
    text = """
    [[rules]]
    id = "one"
    decision = "DENY"

    [[rules]]
    id = "two"
    decision = "DENY"

    [[rules]]
    id = "three"
    description = \"\"\"
    a multi-line description
    hostz = ["this line is inside a string"]
    \"\"\"
    decision = "DENY"
    hostz = ["x.test"]
    """
    errs = errors_of(text)
    assert errs == [(16, "unknown key 'hostz' in [[rules]] #3 (id 'three'); did you mean 'hosts'?")]


def test_several_errors_each_on_its_own_line():
    text = """
    description = "broken on purpose"
    [settings]
    max_body_bytes = "10MB"
    private_network = "MAYBE"
    not_inspectable = "SANITIZE"
    approval_ttl = 60

    [settings.types]
    EMAIL = "PERMIT"
    "bad type!" = "DENY"

    [risk]
    secret = 1.5

    [[rules]]
    id = "r1"
    methods = "POST"
    hosts = ["https://api.github.com/repos"]
    paths = ["repos/*"]
    decision = "deny"

    [[rules]]
    id = "r1"
    fields = ["bodyx$.to"]
    decision = "REQUIRE_APPROVAL"
    finding_types = []
    categories = ["secrets"]
    risk = true
    """
    assert lines_of(text) == [3, 4, 5, 6, 9, 10, 13, 17, 18, 19, 23, 24, 26, 27, 28]
    msgs = [m for _, m in errors_of(text)]
    assert "must be a positive integer" in msgs[0]
    assert "'MAYBE'" in msgs[1]
    assert "cannot be SANITIZE" in msgs[2]
    assert "did you mean 'approval_ttl_seconds'" in msgs[3]
    assert "'PERMIT'" in msgs[4]
    assert "finding type pattern 'bad type!'" in msgs[5]
    assert "between 0 and 1" in msgs[6]
    assert "methods must be an array of strings" in msgs[7]
    assert "must be a host name, not a URL" in msgs[8]
    assert "must start with '/'" in msgs[9]
    assert "duplicate id 'r1'" in msgs[10]
    assert "must start with 'body'" in msgs[11]
    assert "finding_types is empty" in msgs[12]
    assert "unknown category 'secrets'" in msgs[13]
    assert "risk must be a number" in msgs[14]


def test_missing_id_and_decision_point_at_the_table_header():
    text = """
    [settings]
    pii = "SANITIZE"

    [[rules]]
    hosts = ["a.test"]
    """
    errs = errors_of(text)
    assert [e[0] for e in errs] == [4, 4]
    assert "has no 'id'" in errs[0][1] and "has no 'decision'" in errs[1][1]


def test_allowance_problems():
    text = """
    [[allow]]
    id = "blanket"
    hosts = ["mail.test"]

    [[allow]]
    id = "with-decision"
    fields = ["body$.to"]
    decision = "ALLOW"
    """
    errs = errors_of(text)
    assert [e[0] for e in errs] == [1, 8]
    assert "must say which findings it allows" in errs[0][1]
    assert "has no decision or risk" in errs[1][1]


def test_top_level_problems():
    text = """
    extends = "parent"
    disable = ["github-delete-repo"]
    ruless = []
    """
    errs = errors_of(text)
    assert [e[0] for e in errs] == [1, 2, 3]
    assert 'extends must be "default" or "none"' in errs[0][1]
    assert "did you mean 'github-delete-repository'" in errs[1][1]
    assert "did you mean 'rules'" in errs[2][1]


def test_disable_names_known_default_ids():
    assert errors_of('disable = ["github-delete-repository", "sendgrid-recipients"]\n') == []


def test_inline_tables_fall_back_to_the_enclosing_key_line():
    text = """
    description = "inline"
    rules = [
      { id = "a", decision = "DENY" },
      { id = "b", decision = "NOPE" },
    ]
    """
    errs = errors_of(text)
    assert len(errs) == 1 and errs[0][0] == 2 and "'NOPE'" in errs[0][1]


def test_subtables_of_array_entries_and_dotted_keys():
    text = """
    settings.max_body_bytes = 0

    [[rules]]
    id = "a"
    decision = "DENY"

    [[rules]]
    id = "b"
    decision = "DENY"
    "methods" = ["GET", 5]
    """
    assert lines_of(text) == [1, 10]


def test_wrong_table_types():
    text = """
    settings = 5
    rules = "none"
    [risk]
    types = 3
    """
    assert lines_of(text) == [1, 2, 4]


def test_check_file_and_load_report_the_same(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[[rules]]\nid = "x"\ndecision = "DENY"\nmethod = ["GET"]\n', encoding="utf-8")
    errs = check_file(str(path))
    assert errs == [(4, "unknown key 'method' in [[rules]] #1 (id 'x'); did you mean 'methods'?")]
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    assert info.value.errors == errs
    assert isinstance(info.value, ConfigurationError)
    assert "line 4" in str(info.value)
    assert format_errors(str(path), errs) == f"{path}:4: {errs[0][1]}"


def test_missing_or_undecodable_file(tmp_path):
    errs = check_file(tmp_path / "absent.toml")
    assert len(errs) == 1 and errs[0][0] is None and "cannot read" in errs[0][1]
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'description = "caf\xe9"\n')
    assert check_file(bad)[0][0] is None
    with pytest.raises(PolicyError):
        Policy.load(tmp_path / "absent.toml")


def test_ports_must_be_integers_in_range():
    text = """
    [[rules]]
    id = "a"
    decision = "DENY"
    ports = ["443"]

    [[rules]]
    id = "b"
    decision = "DENY"
    ports = [0]
    """
    errs = errors_of(text)
    assert [e[0] for e in errs] == [4, 9]
    assert all("ports must be integers from 1 to 65535" in m for _, m in errs)
