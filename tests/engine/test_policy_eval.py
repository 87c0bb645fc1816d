"""Policy.evaluate: every match key, precedence, allowances, destination rules, risk score."""

from __future__ import annotations

import json

import pytest
from policy_support import evaluate, finding, hit

from interven_autoguard.engine.policy import Policy, Verdict
from interven_autoguard.model import Decision, ReasonCode, RiskBand

R = ReasonCode


def only(rules: str, settings: str = "") -> Policy:
    """A policy with just these rules/allowances (no default rules), default settings."""
    return Policy.from_text('extends = "none"\n' + settings + "\n" + rules)


def rule(decision: str = "DENY", rid: str = "r", **keys: list[str]) -> str:
    lines = ["[[rules]]", f'id = "{rid}"', f'decision = "{decision}"']
    lines += [f"{k} = {json.dumps(list(v))}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def fires(policy: Policy, method: str, url: str, findings=(), **kw) -> bool:
    return "r" in evaluate(policy, method, url, findings, **kw).matched_rules


# --- match keys ---------------------------------------------------------------------------------


def test_methods_match_case_insensitively_on_the_request_side():
    p = only(rule(methods=["POST", "put"]))
    assert fires(p, "post", "https://x.test/a")
    assert fires(p, "PUT", "https://x.test/a")
    assert not fires(p, "GET", "https://x.test/a")


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("api.github.com", "api.github.com", True),
        ("api.github.com", "api.github.com.evil.net", False),
        ("api.github.com", "evilapi.github.com", False),
        ("*.slack.com", "hooks.slack.com", True),
        ("*.slack.com", "a.b.slack.com", True),
        ("*.slack.com", "slack.com", False),
        ("*.slack.com", "evilslack.com", False),
        ("api-*.example.com", "api-eu.example.com", True),
        ("api-*.example.com", "api.example.com", False),
        ("API.Example.COM", "api.example.com", True),
        ("db?.internal", "db1.internal", True),
        ("db?.internal", "db12.internal", False),
    ],
)
def test_host_globs(pattern, host, expected):
    assert fires(only(rule(hosts=[pattern])), "GET", f"https://{host}/x") is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/repos/*/*", "/repos/octo/demo", True),
        ("/repos/*/*", "/repos/octo/demo/issues/1", False),  # '*' stays inside one segment
        ("/repos/*/*", "/repos/octo", False),
        ("/repos/**", "/repos/octo/demo/issues/1", True),
        ("/repos/**", "/repos", True),
        ("/repos/**", "/reposx", False),
        ("/v1/payouts*", "/v1/payouts_batch", True),
        ("/api/admin.*", "/api/admin.users.invite", True),
        ("/api/admin.*", "/api/chat.postMessage", False),
        ("/**/delete", "/a/b/c/delete", True),
        ("/v?/x", "/v2/x", True),
    ],
)
def test_path_globs(pattern, path, expected):
    assert fires(only(rule(paths=[pattern])), "GET", f"https://h.test{path}") is expected


@pytest.mark.parametrize(
    "path",
    [
        "/repos/octo/demo/collaborators/eve",
        "/repos/octo/demo/collaborators/eve/",
        "//repos//octo/demo/collaborators/eve",
        "/repos/octo/./demo/collaborators/eve",
        "/repos/octo/x/../demo/collaborators/eve",
        "/REPOS/octo/demo/Collaborators/eve",
        "/repos/octo/demo/%63ollaborators/eve",
        "/repos/octo/demo/collaborators/eve?permission=admin",
    ],
)
def test_path_spelling_tricks_do_not_bypass_a_rule(path):
    p = only(rule(paths=["/repos/*/*/collaborators/*"]))
    assert fires(p, "PUT", "https://api.github.com" + path)


def test_schemes():
    p = only(rule(schemes=["mcp"]))
    assert fires(p, "CALL", "mcp://delete_database")
    assert not fires(p, "GET", "https://delete_database/")


def test_ports_explicit_and_scheme_default():
    p = only('[[rules]]\nid = "r"\ndecision = "DENY"\nports = [8443, 443]\n')
    assert fires(p, "GET", "https://h.test/")  # https means 443
    assert fires(p, "GET", "http://127.0.0.1:8443/")
    assert not fires(p, "GET", "http://h.test/")
    assert not fires(p, "GET", "http://127.0.0.1:8080/")


def test_agent_ids_glob_and_absent_agent():
    p = only(rule(agent_ids=["billing-*"]))
    assert fires(p, "GET", "https://h.test/", agent_id="billing-bot")
    assert not fires(p, "GET", "https://h.test/", agent_id="support-bot")
    assert not fires(p, "GET", "https://h.test/")


def test_finding_types_exact_and_glob():
    p = only(rule(finding_types=["AWS_*", "github_pat"]))
    assert fires(p, "POST", "https://h.test/", [finding("AWS_ACCESS_KEY")])
    assert fires(p, "POST", "https://h.test/", [finding("GITHUB_PAT")])
    assert not fires(p, "POST", "https://h.test/", [finding("STRIPE_SECRET_KEY")])
    assert not fires(p, "POST", "https://h.test/")  # a finding rule needs a finding


def test_categories():
    p = only(rule(categories=["pii"]))
    assert fires(p, "POST", "https://h.test/", [finding("EMAIL")])
    assert not fires(p, "POST", "https://h.test/", [finding("AWS_ACCESS_KEY")])


@pytest.mark.parametrize(
    ("pattern", "location", "expected"),
    [
        ("body$.to", "body$.to", True),
        ("body$.to", "body$.to[0]", True),  # a field pattern covers what is nested in it
        ("body$.to", "body$.to.email", True),
        ("body$.to", "body$.tool", False),
        ("body$.to", "body$.reply.to", False),
        ("body$.recipients[*]", "body$.recipients[3]", True),
        ("body$.recipients[*]", "body$.recipients", False),
        ("body$.*.email", "body$.from.email", True),
        ("body$.*.email", "body$.a.b.email", False),
        ("body$.**.email", "body$.a.b.email", True),
        ("query:*", "query:token", True),
        ("query:*", "header:token", False),
        ("header:x-*", "header:x-debug", True),
        ("header:x-*", "header:X-Debug", True),
        ("header:x-*", "header:authorization", False),
        ("body", "body$.messages[2].content", True),
        ("body", "body", True),
        ("url.path", "url.path", True),
        ("form:to", "form:to", True),
        ("form:to", "form:token", False),
        ("form:*", "form:h:Reply-To", True),
        ("multipart:to", "multipart:to", True),
        ("multipart:doc", "multipart:doc$.owner.email", True),
        ("body$['h:Reply-To']", "body$['h:Reply-To']", True),
    ],
)
def test_field_globs(pattern, location, expected):
    p = only(rule(fields=[pattern]))
    assert fires(p, "POST", "https://h.test/", [finding("EMAIL", location)]) is expected


def test_all_finding_keys_must_hold_for_the_same_finding():
    p = only(rule(finding_types=["EMAIL"], fields=["body$.to"]))
    # an EMAIL elsewhere and an SSN in body$.to: no single finding satisfies both keys
    assert not fires(
        p, "POST", "https://h.test/", [finding("EMAIL", "body$.text"), finding("US_SSN", "body$.to")]
    )
    assert fires(p, "POST", "https://h.test/", [finding("EMAIL", "body$.to")])


def test_rule_without_match_keys_matches_every_request():
    v = evaluate(only(rule("REQUIRE_APPROVAL")), "GET", "https://anything.test/")
    assert v.decision == Decision.REQUIRE_APPROVAL
    assert v.reason_codes == [R.POLICY_RULE, R.APPROVAL_REQUIRED]


# --- decisions and precedence -------------------------------------------------------------------


def test_precedence_deny_beats_approval_beats_sanitize():
    p = only(
        rule("REQUIRE_APPROVAL", "approve", hosts=["h.test"])
        + rule("DENY", "deny", methods=["DELETE"])
        + rule("SANITIZE", "sanitize", categories=["pii"])
    )
    v = evaluate(p, "DELETE", "https://h.test/x", [finding("EMAIL")])
    assert v.decision == Decision.DENY
    assert v.matched_rules == ["approve", "deny", "sanitize"]  # policy order
    assert v.reason_codes[0] == R.POLICY_RULE
    assert set(v.reason_codes) == {R.POLICY_RULE, R.APPROVAL_REQUIRED, R.PII_DETECTED}
    assert evaluate(p, "POST", "https://h.test/x", [finding("EMAIL")]).decision == Decision.REQUIRE_APPROVAL
    assert evaluate(p, "POST", "https://other.test/x", [finding("EMAIL")]).decision == Decision.SANITIZE


def test_allow_rules_never_downgrade():
    p = only(rule("ALLOW", "ok", hosts=["h.test"]))
    v = evaluate(p, "POST", "https://h.test/", [finding("AWS_ACCESS_KEY")])
    assert v.decision == Decision.SANITIZE
    assert v.matched_rules == ["ok"]
    assert R.POLICY_RULE not in v.reason_codes


def test_default_decisions_for_secrets_and_pii_by_type():
    p = only(
        "",
        '[settings]\nsecrets = "DENY"\npii = "SANITIZE"\n[settings.types]\nEMAIL = "ALLOW"\n'
        '"CREDIT_*" = "REQUIRE_APPROVAL"\n',
    )
    assert evaluate(p, "POST", "https://h.test/", [finding("AWS_ACCESS_KEY")]).decision == Decision.DENY
    assert evaluate(p, "POST", "https://h.test/", [finding("US_SSN")]).decision == Decision.SANITIZE
    assert (
        evaluate(p, "POST", "https://h.test/", [finding("CREDIT_CARD")]).decision == Decision.REQUIRE_APPROVAL
    )
    v = evaluate(p, "POST", "https://h.test/", [finding("EMAIL"), finding("US_SSN")])
    assert v.decision == Decision.SANITIZE
    assert [f.type for f in v.findings] == ["US_SSN"]  # an ALLOWed type is not redacted ...
    assert [f.type for f in v.allowed_findings] == ["EMAIL"]  # ... but still reported
    assert p.decision_for("EMAIL", "pii") == Decision.ALLOW


def test_type_settings_resolve_exact_then_glob_then_category_and_the_user_file_first():
    p = only("", '[settings.types]\n"*" = "DENY"\nEMAIL = "SANITIZE"\n')
    assert p.decision_for("EMAIL", "pii") == Decision.SANITIZE  # exact beats glob within a file
    assert p.decision_for("PHONE_NUMBER", "pii") == Decision.DENY  # user glob > default exact
    assert p.decision_for("AWS_ACCESS_KEY", "secret") == Decision.DENY
    lax = only("", '[settings]\npii = "ALLOW"\n')
    assert lax.decision_for("EMAIL", "pii") == Decision.ALLOW  # beats the inherited EMAIL = "SANITIZE"
    assert lax.decision_for("GITHUB_PAT", "secret") == Decision.SANITIZE  # inherited secrets default
    first = only("", '[settings.types]\n"US_*" = "DENY"\n"*SSN" = "ALLOW"\n')
    assert first.decision_for("US_SSN", "pii") == Decision.DENY  # the first matching glob wins
    assert only("", '[settings.types]\n"*SSN" = "ALLOW"\n"US_*" = "DENY"\n').version != first.version


def test_a_rule_naming_an_allowed_type_still_fires():
    p = only(
        rule("DENY", finding_types=["EMAIL"], hosts=["*.evil.test"]), '[settings.types]\nEMAIL = "ALLOW"\n'
    )
    assert evaluate(p, "POST", "https://h.test/", [finding("EMAIL")]).decision == Decision.ALLOW
    v = evaluate(p, "POST", "https://x.evil.test/", [finding("EMAIL")])
    assert v.decision == Decision.DENY and v.findings and v.reason_codes == [R.POLICY_RULE, R.PII_DETECTED]


def test_sanitize_rule_acts_on_findings_only():
    p = only(rule("SANITIZE", hosts=["h.test"]), '[settings.types]\nEMAIL = "ALLOW"\n')
    v = evaluate(p, "POST", "https://h.test/", [finding("EMAIL")])
    assert v.decision == Decision.SANITIZE and [f.type for f in v.findings] == ["EMAIL"]
    clean = evaluate(p, "POST", "https://h.test/")
    assert clean.decision == Decision.ALLOW and clean.matched_rules == ["r"] and clean.reason_codes == []


def test_approval_rule_does_not_turn_allowed_findings_into_redactions():
    p = only(rule("REQUIRE_APPROVAL", hosts=["h.test"]), '[settings.types]\nEMAIL = "ALLOW"\n')
    v = evaluate(p, "POST", "https://h.test/", [finding("EMAIL")])
    assert v.decision == Decision.REQUIRE_APPROVAL
    assert v.findings == [] and len(v.allowed_findings) == 1
    assert R.PII_DETECTED not in v.reason_codes


# --- allowances ---------------------------------------------------------------------------------

ALLOW_TO = """
[[allow]]
id = "mail-to"
hosts = ["mail.test"]
paths = ["/send"]
finding_types = ["EMAIL"]
fields = ["body$.to"]
"""


def test_allowance_removes_only_the_expected_findings():
    p = only(ALLOW_TO)
    v = evaluate(
        p,
        "POST",
        "https://mail.test/send",
        [finding("EMAIL", "body$.to[0]"), finding("EMAIL", "body$.text"), finding("US_SSN", "body$.to[1]")],
    )
    assert v.decision == Decision.SANITIZE
    assert [(f.type, f.location) for f in v.findings] == [("EMAIL", "body$.text"), ("US_SSN", "body$.to[1]")]
    assert [f.location for f in v.allowed_findings] == ["body$.to[0]"]
    assert v.matched_rules == ["mail-to"]


def test_allowance_alone_yields_allow():
    v = evaluate(only(ALLOW_TO), "POST", "https://mail.test/send", [finding("EMAIL", "body$.to")])
    assert v.decision == Decision.ALLOW and v.reason_codes == [] and v.risk_score == 0.0


@pytest.mark.parametrize(
    "url", ["https://mail.test/other", "https://evil.test/send", "https://mail.test.evil.net/send"]
)
def test_allowance_is_bound_to_host_and_path(url):
    v = evaluate(only(ALLOW_TO), "POST", url, [finding("EMAIL", "body$.to")])
    assert v.decision == Decision.SANITIZE and v.allowed_findings == []


def test_allowed_findings_do_not_trigger_finding_rules():
    p = only(ALLOW_TO + rule("DENY", finding_types=["EMAIL"]))
    assert (
        evaluate(p, "POST", "https://mail.test/send", [finding("EMAIL", "body$.to")]).decision
        == Decision.ALLOW
    )


def test_allowance_cannot_excuse_a_destination_or_credential_mismatch():
    p = only('[[allow]]\nid = "all"\ncategories = ["secret", "pii"]\n')
    v = evaluate(
        p,
        "GET",
        "http://169.254.169.254/",
        [finding("AWS_ACCESS_KEY")],
        hits=[hit("CLOUD_METADATA", R.SSRF_METADATA)],
        auth_mismatch=True,
    )
    assert v.decision == Decision.DENY
    assert v.reason_codes == [R.SSRF_METADATA, R.CREDENTIAL_HOST_MISMATCH]
    assert v.findings == []


# --- destination, credentials and input conditions -------------------------------------------


@pytest.mark.parametrize("kind", ["CLOUD_METADATA", "LINK_LOCAL"])
def test_metadata_is_always_denied_even_if_everything_else_is_allowed(kind):
    p = only(
        rule("ALLOW", hosts=["*"]),
        '[settings]\nprivate_network = "ALLOW"\nexfil_destination = "ALLOW"\nsecrets = "ALLOW"\n',
    )
    v = evaluate(
        p, "GET", "http://169.254.169.254/latest", hits=[hit(kind, R.SSRF_METADATA, decision="ALLOW")]
    )
    assert v.decision == Decision.DENY
    assert v.reason_codes == [R.SSRF_METADATA]
    assert v.risk_score >= 0.9 and v.risk_band == RiskBand.CRITICAL


def test_a_policy_cannot_even_name_a_metadata_setting():
    from interven_autoguard.engine.policy import check_text

    errors = check_text('[settings]\ncloud_metadata = "ALLOW"\n')
    assert errors and errors[0][0] == 2 and "unknown key 'cloud_metadata'" in errors[0][1]


def test_unknown_metadata_hit_type_with_metadata_reason_is_denied():
    v = evaluate(Policy.default(), "GET", "http://x/", hits=[hit("SOMETHING_NEW", R.SSRF_METADATA, "ALLOW")])
    assert v.decision == Decision.DENY


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("ALLOW", Decision.ALLOW), ("DENY", Decision.DENY), ("REQUIRE_APPROVAL", Decision.REQUIRE_APPROVAL)],
)
@pytest.mark.parametrize("kind", ["PRIVATE_NETWORK", "LOOPBACK"])
def test_private_network_follows_the_setting(setting, expected, kind):
    p = only("", f'[settings]\nprivate_network = "{setting}"\n')
    assert p.private_network == setting
    v = evaluate(p, "GET", "http://10.0.0.5/", hits=[hit(kind, R.SSRF_PRIVATE_NETWORK, "ALLOW")])
    assert v.decision == expected
    assert v.reason_codes == ([] if setting == "ALLOW" else [R.SSRF_PRIVATE_NETWORK])
    if setting == "DENY":
        assert v.risk_score >= 0.9


def test_exfil_host_denied_by_default_and_configurable():
    h = [hit("EXFIL_HOST", R.EXFIL_DESTINATION)]
    v = evaluate(Policy.default(), "POST", "https://webhook.site/x", hits=h)
    assert v.decision == Decision.DENY and v.reason_codes == [R.EXFIL_DESTINATION] and v.risk_score >= 0.9
    relaxed = only("", '[settings]\nexfil_destination = "REQUIRE_APPROVAL"\n')
    assert evaluate(relaxed, "POST", "https://webhook.site/x", hits=h).decision == Decision.REQUIRE_APPROVAL


def test_unreadable_destination_hit_fails_closed():
    v = evaluate(Policy.default(), "GET", "http://x/", hits=[hit("INVALID_URL", R.INVALID_URL, "bogus")])
    assert v.decision == Decision.DENY and v.reason_codes == [R.INVALID_URL]


def test_credential_host_mismatch_denies():
    v = evaluate(Policy.default(), "GET", "https://api.github.com.evil.net/user", auth_mismatch=True)
    assert v.decision == Decision.DENY and v.reason_codes == [R.CREDENTIAL_HOST_MISMATCH]
    assert v.risk_score >= 0.9


def test_body_conditions_follow_settings():
    d = Policy.default()
    assert evaluate(d, "POST", "https://h.test/", body_too_large=True).reason_codes == [R.BODY_TOO_LARGE]
    assert evaluate(d, "POST", "https://h.test/", not_inspectable=True).decision == Decision.DENY
    lax = only("", '[settings]\nbody_too_large = "ALLOW"\n')
    v = evaluate(lax, "POST", "https://h.test/", body_too_large=True)
    assert v.decision == Decision.ALLOW and v.reason_codes == []


def test_reason_codes_are_unique_and_ordered_by_severity():
    p = only(rule("REQUIRE_APPROVAL", hosts=["h.test"]))
    v = evaluate(
        p,
        "POST",
        "https://h.test/",
        [finding("EMAIL"), finding("EMAIL", "query:e"), finding("AWS_ACCESS_KEY")],
        hits=[hit("EXFIL_HOST", R.EXFIL_DESTINATION)],
    )
    assert v.reason_codes == [
        R.EXFIL_DESTINATION,
        R.POLICY_RULE,
        R.APPROVAL_REQUIRED,
        R.SECRET_DETECTED,
        R.PII_DETECTED,
    ]


# --- risk score ---------------------------------------------------------------------------------


def test_risk_score_weights_and_combination():
    d = Policy.default()
    one = lambda *fs: evaluate(d, "POST", "https://h.test/", list(fs)).risk_score  # noqa: E731
    assert one(finding("AWS_ACCESS_KEY")) == 0.8
    assert one(finding("US_SSN")) == 0.6
    assert one(finding("EMAIL")) == 0.3
    assert one(finding("PHONE_NUMBER")) == 0.3
    assert one(finding("ABA_ROUTING")) == 0.4  # PII without its own weight
    # one weight per type: many e-mail addresses are not many times the risk
    assert one(*[finding("EMAIL", f"body$.to[{i}]") for i in range(10)]) == 0.3
    assert one(finding("US_SSN"), finding("EMAIL")) == pytest.approx(1 - 0.4 * 0.7)
    assert one(finding("AWS_ACCESS_KEY"), finding("US_SSN")) == pytest.approx(1 - 0.2 * 0.4)
    assert evaluate(d, "GET", "https://h.test/").risk_score == 0.0


def test_rule_risk_override_and_bands():
    p = only(
        rule("REQUIRE_APPROVAL", "a", hosts=["a.test"])
        + '[[rules]]\nid = "b"\ndecision = "REQUIRE_APPROVAL"\n'
        'hosts = ["b.test"]\nrisk = 0.95\n'
    )
    a = evaluate(p, "GET", "https://a.test/")
    b = evaluate(p, "GET", "https://b.test/")
    assert (a.risk_score, a.risk_band) == (0.6, RiskBand.HIGH)
    assert (b.risk_score, b.risk_band) == (0.95, RiskBand.CRITICAL)


def test_risk_is_capped_and_deterministic():
    d = Policy.default()
    fs = [finding(t) for t in ("AWS_ACCESS_KEY", "GITHUB_PAT", "US_SSN", "EMAIL")]
    hs = [hit("CLOUD_METADATA", R.SSRF_METADATA), hit("EXFIL_HOST", R.EXFIL_DESTINATION)]
    scores = {evaluate(d, "POST", "http://x/", fs, hits=hs, auth_mismatch=True).risk_score for _ in range(5)}
    assert scores == {1.0}


# --- the verdict object -------------------------------------------------------------------------


def test_clean_request_verdict_is_shared_and_immutable():
    d = Policy.default()
    v = evaluate(d, "GET", "http://127.0.0.1:8080/health")
    assert isinstance(v, Verdict) and v.decision == Decision.ALLOW
    assert v.reason_codes == [] and v.findings == [] and v.risk_band == RiskBand.LOW
    with pytest.raises(TypeError):
        v.reason_codes.append("X")
    with pytest.raises(Exception):  # noqa: B017 - frozen dataclass raises FrozenInstanceError
        v.decision = Decision.DENY  # type: ignore[misc]
    assert evaluate(d, "GET", "http://127.0.0.1:8080/health").reason_codes == []


def test_evaluate_does_not_mutate_its_inputs():
    d = Policy.default()
    fs = [finding("EMAIL", "body$.personalizations[0].to[0].email"), finding("US_SSN")]
    before = list(fs)
    evaluate(d, "POST", "https://api.sendgrid.com/v3/mail/send", fs)
    assert fs == before
