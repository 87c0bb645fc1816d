"""Policy.load sources, inheritance from the default policy, and the policy version."""

from __future__ import annotations

import pathlib

import pytest
from policy_support import evaluate

from interven_autoguard.engine.policy import ENV_VAR, Policy
from interven_autoguard.errors import PolicyError
from interven_autoguard.model import Decision

DEFAULT = Policy.default()
SMALL = '[settings]\nprivate_network = "DENY"\n'


@pytest.fixture(autouse=True)
def _no_policy_env(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_load_none_is_the_default():
    assert Policy.load(None) is DEFAULT


def test_load_policy_instance_is_itself():
    p = Policy.from_text(SMALL)
    assert Policy.load(p) is p


def test_load_path_str_pathlike_and_text(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text(SMALL, encoding="utf-8")
    from_path = Policy.load(f)
    from_str = Policy.load(str(f))
    from_text = Policy.load(SMALL)
    assert from_path.private_network == from_str.private_network == from_text.private_network == "DENY"
    assert from_path.version == from_str.version == from_text.version
    assert from_path.source == str(f) and from_text.source == "<text>"


def test_one_line_text_without_brackets_is_text_unless_such_a_file_exists():
    assert Policy.load('extends = "none"').rules == ()
    with pytest.raises(PolicyError):
        Policy.load("no-such-policy.toml")


def test_env_var_names_a_file(tmp_path, monkeypatch):
    f = tmp_path / "p.toml"
    f.write_text(SMALL, encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(f))
    assert Policy.load(None).private_network == "DENY"


def test_env_var_may_hold_toml_text(monkeypatch):
    monkeypatch.setenv(ENV_VAR, SMALL)
    assert Policy.load(None).private_network == "DENY"


def test_env_var_pointing_at_a_broken_file_raises(tmp_path, monkeypatch):
    f = tmp_path / "p.toml"
    f.write_text("[settings\n", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(f))
    with pytest.raises(PolicyError) as info:
        Policy.load(None)
    assert info.value.errors and info.value.errors[0][0] == 1


def test_wrong_source_type():
    with pytest.raises(PolicyError):
        Policy.load(42)  # type: ignore[arg-type]


# --- inheritance ------------------------------------------------------------------------------


def test_user_file_extends_the_default():
    p = Policy.from_text('[[rules]]\nid = "mine"\ndecision = "DENY"\nhosts = ["x.test"]\n')
    assert [r.id for r in p.rules] == [r.id for r in DEFAULT.rules] + ["mine"]
    assert len(p.allowances) == len(DEFAULT.allowances)
    assert p.max_body_bytes == DEFAULT.max_body_bytes


def test_same_id_replaces_the_default_rule_in_place():
    p = Policy.from_text(
        '[[rules]]\nid = "github-delete-repository"\ndecision = "DENY"\nmethods = ["DELETE"]\n'
        'hosts = ["api.github.com"]\npaths = ["/repos/*/*"]\n'
    )
    assert [r.id for r in p.rules] == [r.id for r in DEFAULT.rules]
    assert evaluate(p, "DELETE", "https://api.github.com/repos/o/r").decision == Decision.DENY


def test_disable_drops_default_entries():
    p = Policy.from_text('disable = ["stripe-create-payout", "sendgrid-recipients"]\n')
    assert "stripe-create-payout" not in {r.id for r in p.rules}
    assert "sendgrid-recipients" not in {a.id for a in p.allowances}
    assert evaluate(p, "POST", "https://api.stripe.com/v1/payouts").decision == Decision.ALLOW


def test_extends_none_keeps_default_settings_but_no_rules():
    p = Policy.from_text('extends = "none"\n[settings]\nmax_body_bytes = 1024\n')
    assert p.rules == () and p.allowances == ()
    assert p.max_body_bytes == 1024
    assert p.not_inspectable == Decision.DENY and p.approval_ttl_seconds == 3600
    assert evaluate(p, "PUT", "https://api.github.com/repos/o/r/collaborators/u").decision == Decision.ALLOW


def test_disable_with_extends_none_is_an_error():
    with pytest.raises(PolicyError):
        Policy.from_text('extends = "none"\ndisable = ["stripe-create-payout"]\n')


def test_to_dict_is_the_effective_policy():
    d = Policy.from_text(SMALL).to_dict()
    assert d["settings"]["private_network"] == "DENY"
    assert d["settings"]["max_body_bytes"] == DEFAULT.max_body_bytes
    assert [r["id"] for r in d["rules"]] == [r.id for r in DEFAULT.rules]


# --- version ----------------------------------------------------------------------------------


def test_version_is_stable_for_equivalent_content():
    a = Policy.from_text('[settings]\nprivate_network = "DENY"\nmax_body_bytes = 5\n')
    b = Policy.from_text(
        '# a comment\n\n[settings]\nmax_body_bytes   =   5   # five\nprivate_network = "deny"\n'
    )
    assert a.version == b.version
    assert Policy.from_text(SMALL).version == Policy.from_text(SMALL).version


def test_version_of_an_empty_user_file_is_the_default_version():
    assert Policy.from_text("").version == DEFAULT.version
    assert Policy.from_text('description = "just words"\n').version == DEFAULT.version


@pytest.mark.parametrize(
    "text",
    [
        SMALL,
        "[settings]\napproval_ttl_seconds = 60\n",
        'disable = ["slack-admin-api"]\n',
        '[[rules]]\nid = "x"\ndecision = "DENY"\n',
        '[[rules]]\nid = "x"\ndecision = "REQUIRE_APPROVAL"\n',
        'extends = "none"\n',
        '[settings.types]\nEMAIL = "ALLOW"\n',
        "[risk]\nsecret = 0.7\n",
    ],
)
def test_version_changes_when_content_changes(text):
    assert Policy.from_text(text).version != DEFAULT.version


def test_versions_of_different_rules_differ():
    a = Policy.from_text('[[rules]]\nid = "x"\ndecision = "DENY"\nhosts = ["a.test"]\n')
    b = Policy.from_text('[[rules]]\nid = "x"\ndecision = "DENY"\nhosts = ["b.test"]\n')
    assert a.version != b.version


def test_default_policy_is_package_data():
    import interven_autoguard.engine as engine

    assert (pathlib.Path(engine.__file__).parent / "default_policy.toml").is_file()


def test_get_returns_rules_and_allowances_by_id():
    rule = DEFAULT.get("github-add-collaborator")
    assert (
        rule is not None and rule.decision == Decision.REQUIRE_APPROVAL and "collaborator" in rule.description
    )
    assert DEFAULT.get("sendgrid-recipients").kind == "allow"
    assert DEFAULT.get("nope") is None
