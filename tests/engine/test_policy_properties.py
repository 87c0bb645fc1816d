"""Properties: checking never crashes on any input; evaluation is total, bounded and monotone."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_support import evaluate, finding, hit

from interven_autoguard.engine.policy import Policy, check_text
from interven_autoguard.engine.policy_load import merge
from interven_autoguard.engine.policy_schema import MATCH_KEYS, SETTINGS_SCHEMA, validate
from interven_autoguard.model import Decision, ReasonCode

KEYS = ["id", "decision", "risk", "description", *MATCH_KEYS, *SETTINGS_SCHEMA, "x"]
DECISIONS = ["ALLOW", "SANITIZE", "REQUIRE_APPROVAL", "DENY", "deny", "nope"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**8),
    st.floats(allow_nan=True),
    st.sampled_from(DECISIONS),
    st.sampled_from(["GET", "api.github.com", "*.x.com", "/a/*", "body$.to", "EMAIL", "pii", "", "http://x"]),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=20,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "settings": st.dictionaries(st.sampled_from([*SETTINGS_SCHEMA, "bogus"]), values, max_size=4),
        "rules": st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=6), max_size=3) | values,
        "allow": st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=6), max_size=3),
        "risk": values,
        "extends": st.sampled_from(["default", "none", "other"]),
        "disable": values,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_validate_never_raises_and_valid_documents_compile(doc):
    content, errors = validate(doc, None, frozenset({"stripe-create-payout"}))
    assert all(isinstance(msg, str) and (line is None or line >= 1) for line, msg in errors)
    if not errors:
        from interven_autoguard.engine.policy_load import default_content

        policy = Policy(merge(default_content(), content))
        v = evaluate(policy, "POST", "https://api.github.com/repos/o/r/keys", [finding("EMAIL")])
        assert v.decision in Decision


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_check_text_never_raises_on_arbitrary_text(text):
    errors = check_text(text)
    assert isinstance(errors, list)


toml_lines = st.lists(
    st.sampled_from(
        [
            "[settings]",
            "[[rules]]",
            "[[allow]]",
            "[settings.types]",
            'id = "a"',
            'id = "b"',
            'decision = "DENY"',
            'decision = "maybe"',
            'hosts = ["x.test"]',
            'hosts = ["http://x"]',
            'paths = ["/a/**"]',
            'fields = ["body$.to"]',
            "max_body_bytes = 0",
            'EMAIL = "ALLOW"',
            "unknown = 1",
            'description = """',
            '"""',
        ]
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(toml_lines)
def test_error_lines_are_within_the_file(lines):
    text = "\n".join(lines) + "\n"
    for line, _ in check_text(text):
        assert line is None or 1 <= line <= len(lines)


finding_types = st.sampled_from(["EMAIL", "US_SSN", "AWS_ACCESS_KEY", "GITHUB_PAT", "PHONE_NUMBER", "IBAN"])
locations = st.sampled_from(["body$.to", "body$.text", "query:q", "header:x-a", "url.path", "body"])
hit_kinds = st.sampled_from(
    [
        ("CLOUD_METADATA", ReasonCode.SSRF_METADATA),
        ("LINK_LOCAL", ReasonCode.SSRF_METADATA),
        ("EXFIL_HOST", ReasonCode.EXFIL_DESTINATION),
        ("PRIVATE_NETWORK", ReasonCode.SSRF_PRIVATE_NETWORK),
        ("LOOPBACK", ReasonCode.SSRF_PRIVATE_NETWORK),
    ]
)
urls = st.sampled_from(
    [
        "https://api.github.com/repos/o/r/collaborators/u",
        "https://api.sendgrid.com/v3/mail/send",
        "https://slack.com/api/admin.users.list",
        "http://127.0.0.1:9/x",
        "mcp://tool",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    urls,
    st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    st.lists(st.tuples(finding_types, locations), max_size=5),
    st.lists(hit_kinds, max_size=3),
    st.booleans(),
)
def test_evaluate_is_total_bounded_and_monotone(url, method, found, kinds, mismatch):
    policy = Policy.default()
    fs = [finding(t, loc) for t, loc in found]
    hs = [hit(k, code) for k, code in kinds]
    v = evaluate(policy, method, url, fs, hits=hs, auth_mismatch=mismatch)
    assert 0.0 <= v.risk_score <= 1.0
    assert len(set(v.reason_codes)) == len(v.reason_codes)
    assert {id(f) for f in v.findings}.isdisjoint({id(f) for f in v.allowed_findings})
    assert len(v.findings) + len(v.allowed_findings) == len(fs)
    # more evidence never weakens the decision or lowers the risk
    fewer = evaluate(policy, method, url, fs[:-1], hits=hs[:-1], auth_mismatch=False)
    assert v.decision.rank >= fewer.decision.rank
    assert v.risk_score >= fewer.risk_score
    if any(k in ("CLOUD_METADATA", "LINK_LOCAL") for k, _ in kinds) or mismatch:
        assert v.decision == Decision.DENY and v.risk_score >= 0.9
