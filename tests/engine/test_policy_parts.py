"""The building blocks: glob dialects, path normalisation, the TOML line locator, the CLI helper."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys

import pytest

from interven_autoguard.engine import policy_cli
from interven_autoguard.engine.policy_globs import (
    FieldMatcher,
    HostMatcher,
    NameMatcher,
    PathMatcher,
    field_glob_error,
    host_glob_error,
    normalize_path,
    path_glob_error,
    type_glob_error,
)
from interven_autoguard.engine.policy_lines import LineLocator

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "/"),
        ("/", "/"),
        ("/a/b", "/a/b"),
        ("/a/b/", "/a/b"),
        ("a/b", "/a/b"),
        ("//a///b", "/a/b"),
        ("/a/./b/../c", "/a/c"),
        ("/../../etc", "/etc"),
        ("/a%2Fb", "/a/b"),
        ("/%2e%2e/x", "/x"),
        ("/a?x=/b#frag", "/a"),
        ("/a/.well-known", "/a/.well-known"),
        ("/v1/payouts;x", "/v1/payouts"),
        ("/v1;a=b/payouts;jsessionid=1/", "/v1/payouts"),
    ],
)
def test_normalize_path(raw, expected):
    assert normalize_path(raw) == expected
    assert normalize_path(raw) == expected  # cached answer is the same


def test_ipv6_host_patterns_match_the_canonical_host():
    m = HostMatcher(["[::1]", "fd00:*"])
    assert m("::1") and m("fd00:ec2::254") and not m("fe80::1")


def test_host_matcher_mixes_exact_suffix_and_regex():
    m = HostMatcher(["api.github.com", "*.slack.com", "api-*.example.com", "Trailing.Dot."])
    assert m("api.github.com") and m("x.slack.com") and m("api-eu.example.com") and m("trailing.dot")
    assert not m("slack.com") and not m("api.example.com") and not m("github.com")
    assert m.suffixes == (".slack.com",) and m.regex is not None


def test_path_field_and_name_matchers():
    assert PathMatcher(["/a/*"])("/a/b") and not PathMatcher(["/a/*"])("/a/b/c")
    assert FieldMatcher(["body$.a[*].b"])("body$.a[10].b.c")
    assert not FieldMatcher(["body$.a[*].b"])("body$.a.b")
    n = NameMatcher(["GITHUB_*", "EMAIL"], upper=True)
    assert n("GITHUB_PAT") and n("EMAIL") and not n("EMAILS")


def test_a_field_pattern_covers_the_header_lines_of_the_e_mail_the_field_is_base64_of():
    whole = FieldMatcher(["body$.raw"])
    assert whole("body$.raw<mime>.header:To") and whole("body$.raw<mime>.header#4")
    assert not whole("body$.rawx<mime>.header:To") and not whole("body$.raw<key>")
    to = FieldMatcher(["body$.message.raw<mime>.header:To", "form:raw<mime>.header:*"])
    assert to("body$.message.raw<mime>.header:to")  # header names match in any case
    assert not to("body$.message.raw<mime>.header:Tokens") and not to("body$.message.raw")
    assert to("form:raw<mime>.header:Reply-To") and not to("form:raw<mime>.header#2")


@pytest.mark.parametrize(
    ("check", "pattern", "problem"),
    [
        (host_glob_error, "", "empty"),
        (host_glob_error, "a b", "whitespace"),
        (host_glob_error, "http://x", "not a URL"),
        (host_glob_error, "x:443", "port"),
        (host_glob_error, "[::1]:8080", "port"),
        (host_glob_error, "user@x", "user info"),
        (host_glob_error, "**.x", "single '*'"),
        (host_glob_error, "x[1].com", "may only contain"),
        (path_glob_error, "v1/x", "must start with '/'"),
        (path_glob_error, "/a/***", "'***'"),
        (path_glob_error, "/a#b", "fragment"),
        (field_glob_error, "bodyx", "must start with 'body'"),
        (field_glob_error, "body$.a[*", "unbalanced"),
        (type_glob_error, "aws-key", "may only contain"),
        (host_glob_error, 5, "must be strings"),
    ],
)
def test_glob_validation(check, pattern, problem):
    err = check(pattern)
    assert err is not None and problem in err


@pytest.mark.parametrize("ok", ["*.x.com", "a-b_c.d", "*", "::1", "[::1]", "fd00:*", "[FD00:EC2::254]"])
def test_valid_host_globs(ok):
    assert host_glob_error(ok) is None


def test_line_locator():
    text = "\n".join(
        [
            'description = """',  # 1
            "[[rules]]",  # 2: inside the string, not a header
            '"""',  # 3
            "[settings]",  # 4
            "a = 1",  # 5
            "[settings.types]",  # 6
            '"US_SSN" = "DENY"',  # 7
            "[[rules]]",  # 8
            "id = 'x'",  # 9
            "[rules.extra]",  # 10
            "k.j = 2",  # 11
            "[[rules]]",  # 12
        ]
    )
    loc = LineLocator(text)
    assert loc.line(("description",)) == 1
    assert loc.line(("settings",)) == 4
    assert loc.line(("settings", "a")) == 5
    assert loc.line(("settings", "types", "US_SSN")) == 7
    assert loc.line(("rules", 0)) == 8
    assert loc.line(("rules", 0, "id")) == 9
    assert loc.line(("rules", 0, "extra", "k", "j")) == 11
    assert loc.line(("rules", 1, "hosts")) == 12
    assert loc.line(("nothing",)) is None


def test_cli_check_and_show(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[settings]\nprivate_network = "DENY"\n', encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nid = "x"\ndecision = "MAYBE"\n', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    args = policy_cli.build_parser().parse_args(["check", str(good), str(bad)])
    assert policy_cli.run(args, out, err) == 1
    assert f"{good}: OK (version " in out.getvalue()
    assert err.getvalue().startswith(f"{bad}:3: ")
    out = io.StringIO()
    assert policy_cli.run(policy_cli.build_parser().parse_args(["show", str(good)]), out) == 0
    shown = json.loads(out.getvalue())
    assert shown["settings"]["private_network"] == "DENY" and len(shown["version"]) == 12


def test_cli_as_a_subprocess(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[settings]\nmax_body_bytes = "big"\n', encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
    code = (
        "import safetynet; safetynet.install()\n"
        "import sys; from interven_autoguard.engine.policy_cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "check", str(bad)], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 1
    assert f"{bad}:2: settings.max_body_bytes must be a positive integer" in proc.stderr
