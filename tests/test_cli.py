"""The command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SSN = "478-23-9156"


def run_cli(*args: str, stdin: bytes | None = None,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("INTERVEN_API_KEY", None)
    env.pop("INTERVEN_POLICY", None)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "interven_autoguard", *args], capture_output=True, text=True,
                          env=env, input=None if stdin is None else stdin.decode(), timeout=60)


def test_scan_prints_json_result():
    body = json.dumps({"text": f"Customer SSN {SSN}, email john@acme.com"})
    p = run_cli("scan", "--method", "POST", "--url", "https://slack.com/api/chat.postMessage", "--body", body)
    assert p.returncode == 3, p.stderr  # SANITIZE
    out = json.loads(p.stdout)
    assert out["decision"] == "SANITIZE"
    assert out["reason_codes"] == ["PII_DETECTED"]
    assert out["sanitized_body"] == {"text": "Customer SSN [REDACTED:US_SSN], email [REDACTED:EMAIL]"}


def test_scan_explain_never_prints_the_value():
    p = run_cli("scan", "--method", "POST", "--url", "https://api.example.com/x",
                "-H", "X-Note: ssn " + SSN, "--body", json.dumps({"a": {"b": SSN}}), "--explain")
    assert p.returncode == 3, p.stderr
    assert "SANITIZE" in p.stdout
    assert "US_SSN" in p.stdout and "body$.a.b" in p.stdout and "header:x-note" in p.stdout
    assert SSN not in p.stdout and SSN not in p.stderr


def test_scan_denies_metadata_url():
    p = run_cli("scan", "--url", "http://169.254.169.254/latest/meta-data/")
    assert json.loads(p.stdout)["decision"] == "DENY"
    assert p.returncode == 5, p.stderr


def test_scan_exit_status_is_zero_only_for_allow():
    p = run_cli("scan", "--method", "GET", "--url", "https://api.example.com/status")
    assert json.loads(p.stdout)["decision"] == "ALLOW"
    assert p.returncode == 0, p.stderr
    assert "5 DENY" in run_cli("scan", "--help").stdout


def test_scan_is_a_dry_run_that_requests_no_approval(tmp_path):
    policy = tmp_path / "payouts.toml"
    policy.write_text(textwrap.dedent("""
        [[rules]]
        id = "payouts-need-approval"
        methods = ["POST"]
        hosts = ["127.0.0.1"]
        paths = ["/payouts*"]
        decision = "REQUIRE_APPROVAL"
    """))
    db = tmp_path / "approvals.sqlite3"
    env = {"INTERVEN_APPROVALS_DB": str(db)}
    args = ("scan", "--method", "POST", "--url", "http://127.0.0.1:8000/payouts", "--body", '{"amount": 5}',
            "--policy", str(policy))
    p = run_cli(*args, extra_env=env)
    assert p.returncode == 4, p.stderr
    out = json.loads(p.stdout)
    assert out["decision"] == "REQUIRE_APPROVAL" and out["approval_id"] is None
    explained = run_cli(*args, "--explain", extra_env=env)
    assert explained.returncode == 4 and "would need approval" in explained.stdout
    # No approval store was even created (a reading command then says so), let alone a request.
    assert not db.exists()
    queue = run_cli("approvals", "list", "--all", "--db", str(db), extra_env=env)
    assert queue.returncode == 1 and "no approvals database" in queue.stderr
    assert "apr_" not in queue.stdout


def test_scan_body_file(tmp_path):
    f = tmp_path / "body.txt"
    f.write_bytes(b"ssn " + SSN.encode())
    p = run_cli("scan", "--method", "POST", "--url", "https://api.example.com/x", "--body-file", str(f))
    out = json.loads(p.stdout)
    assert out["decision"] == "SANITIZE"
    assert out["sanitized_body"] == "ssn [REDACTED:US_SSN]"


def test_bad_header_argument_is_a_usage_error_that_does_not_echo_the_value():
    secret = "Bearer AKIA" + "QYLPMN5HHHFPZAM2"
    p = run_cli("scan", "--url", "https://x.example", "-H", f"Authorization {secret}")
    assert p.returncode == 2
    assert "Name: value" in p.stderr
    assert secret not in p.stderr and "QYLPMN5HHHFPZAM2" not in p.stderr


def test_policy_check_reports_line_numbers(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(textwrap.dedent("""
        [[rules]]
        id = "payouts-need-approval"
        methods = ["POST"]
        hosts = ["api.stripe.com"]
        paths = ["/v1/payouts*"]
        decision = "REQUIRE_APPROVAL"
    """))
    p = run_cli("policy", "check", str(good))
    assert p.returncode == 0, p.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nid = "x"\n\ndecision = "MAYBE"\n')
    p = run_cli("policy", "check", str(bad))
    assert p.returncode == 1
    assert f"{bad}:4:" in p.stderr


def test_policy_show_prints_the_effective_default():
    p = run_cli("policy", "show")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["version"]


def test_policy_show_into_a_closed_pipe_exits_quietly():
    """``policy show | head -1``: the reader went away; no BrokenPipeError traceback, exit 0."""
    env = dict(os.environ)
    env.pop("INTERVEN_POLICY", None)
    proc = subprocess.Popen([sys.executable, "-m", "interven_autoguard", "policy", "show"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    proc.stdout.close()  # before it writes a byte: its first write meets a pipe with no reader
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"BrokenPipeError" not in err
