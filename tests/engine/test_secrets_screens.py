"""The two-pass secrets prefilter answers exactly as one automaton of the exact expressions.

The re2 back-end runs one Set of counter-free *screens* and confirms each reported entry with its
own exact expression (``_prefilter._Re2Keywords``). These tests hold it to the old answer (an RE2
Set of every exact expression, built here as the oracle), check that each screen is a necessary
condition of its expression, that Discord's run-counted expression is equivalent to the one the
rule would otherwise get, and that the shape which made one automaton crawl cannot come back.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import random
import string

import pytest
import re2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from secret_samples import SAMPLES
from test_secrets_properties import FRAGMENTS

from interven_autoguard.engine import secrets
from interven_autoguard.engine.secrets import _engine, _prefilter, rules

B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.encoding = re2.Options.Encoding.LATIN1
    return options


@functools.cache
def oracle() -> re2.Set:
    """One Set of the exact expressions: the answer before the screens (slow on blobs only)."""
    s = re2.Set.SearchSet(_options())
    for expression in _engine.compiled().exact_expressions:
        s.Add(expression.encode("latin-1"))
    s.Compile()
    return s


def oracle_present(text: str) -> list[int]:
    return sorted(oracle().Match(text.encode("utf-8", "surrogatepass")) or ())


@functools.cache
def single(expression: str) -> re2._Regexp:
    return re2.compile(expression.encode("latin-1"), _options())


def occurs(expression: str, text: str) -> bool:
    return single(expression).search(text.encode("utf-8", "surrogatepass")) is not None


def fresh_backend() -> _prefilter.Prefilter:
    c = _engine.compiled()
    return _prefilter.build(c.exact_expressions, c.expressions)


def sample_text(rule_id: str) -> str:
    return SAMPLES[rule_id]()[0]


# Blob-like material next to keywords: base64 runs, M/N/O runs with dots, digits and colons.
BLOBBY = st.one_of(
    st.text(alphabet=B64, min_size=1, max_size=60),
    st.text(alphabet=B64URL + ".", min_size=1, max_size=60),
    st.text(alphabet="MNOmnoab0_-.", min_size=1, max_size=60),
    st.text(alphabet="0123456789:AaPp", min_size=1, max_size=30),
    st.sampled_from(FRAGMENTS),
    st.sampled_from(sorted(SAMPLES)).map(sample_text),
)
texts = st.one_of(
    st.text(max_size=200),
    st.lists(BLOBBY, max_size=20).map("".join),
    st.lists(st.one_of(BLOBBY, st.text(max_size=12)), max_size=20).map(" ".join),
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
@example("M" + "a" * 20 + "." + "b" * 6 + "." + "c" * 16)  # Discord shape at the start of the text
@example("xM" + "N" * 30 + "." + "b" * 6 + "." + "c" * 16)  # every letter a possible start
@example("max_tokens: 100, key=abcdef")
def test_two_passes_answer_as_one_set_of_the_exact_expressions(text: str) -> None:
    backend = _engine.compiled().prefilter
    expected = oracle_present(text)
    assert sorted(backend.present(text)) == expected
    assert backend.any(text) == bool(expected)
    assert secrets.may_match(text) == bool(expected)


@pytest.mark.parametrize("rule_id", sorted(SAMPLES))
def test_every_screen_is_a_necessary_condition(rule_id: str) -> None:
    c = _engine.compiled()
    text = sample_text(rule_id)
    blob = base64.b64encode(random.Random(rule_id).randbytes(3000)).decode()
    for probe in (text, blob + " " + text + " " + blob):
        for exact, screen in zip(c.exact_expressions, c.expressions, strict=True):
            if occurs(exact, probe):
                assert occurs(screen, probe), (rule_id, screen)


@pytest.mark.parametrize("rule_id", sorted(SAMPLES))
def test_credentials_inside_blobs_are_still_found(rule_id: str) -> None:
    """A credential next to a base64 image or random text is reported as it is on its own."""
    text = sample_text(rule_id)
    alone = {h.detector for h in secrets.detect(text)}
    rng = random.Random(rule_id)
    image = base64.b64encode(rng.randbytes(6000)).decode()
    noise = "".join(rng.choices(string.ascii_lowercase + string.digits + " ", k=8000))
    for before, after in ((image, noise), (noise, image)):
        found = {h.detector for h in secrets.detect(before + "\n" + text + "\n" + after)}
        assert alone <= found


def discord_rule() -> rules.Rule:
    return next(r for r in rules.RULES if r.id == "discord-bot-token")


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["M", "n", "o", "a", "Z", "0", "_", "-", ".", " ", "/", "\n", "x" * 8,
                                 "a" * 16, "N" * 5]), max_size=40).map("".join))
@example("M" + "a" * 16 + "." + "b" * 6 + "." + "c" * 16)
@example("aM" + "a" * 15 + "." + "b" * 6 + "." + "c" * 16)  # one short: no match either way
def test_discord_run_expression_equals_the_derived_one(text: str) -> None:
    """Counted from a run's first M/N/O, the expression holds exactly where the one derived from
    the pattern (every M/N/O a possible start) holds."""
    rule = discord_rule()
    derived = rules.prefilter_expression(dataclasses.replace(rule, prefilter=None))
    assert derived is not None and rule.prefilter is not None
    assert occurs(rules.prefilter_expression(rule), text) == occurs(derived, text)  # type: ignore[arg-type]


def test_no_automaton_over_all_entries_counts() -> None:
    """The screens (the Set every text goes through, and the triage's) have no counted repeats,
    except a rule's explicit screen ending in one short count (the generic rule's six value
    characters): counts of many rules at once are what made one automaton crawl."""
    c = _engine.compiled()
    explicit = {rules.screen_expression(r) for r in c.rules if r.screen is not None}
    for screen in c.expressions:
        if screen in explicit:
            head, _, tail = screen.rpartition("{")
            assert rules.uncounted(head) == head and tail.rstrip("}").isdigit() and int(tail[:-1]) <= 8
        else:
            assert rules.uncounted(screen) == screen


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("ghp_[0-9A-Za-z]{16,}", "ghp_[0-9A-Za-z]+"),
        (r"[\w.-]{0,30}[:=]", r"[\w.-]*[:=]"),
        ("a{3}b{2,5}", "a+b+"),
        ("[^{}]{3,}", "[^{}]+"),
        (r"\{2,\}x", r"\{2,\}x"),
        ("[]{2,}]{4,}", "[]{2,}]+"),
        ("[^]{2}]{0,}", "[^]{2}]*"),
        ("(?:ab){2,}c", "(?:ab)+c"),
    ],
)
def test_uncounted(expression: str, expected: str) -> None:
    assert rules.uncounted(expression) == expected


def test_cleared_text_never_reaches_the_set_nor_a_confirmation() -> None:
    """may_match over prose: the screens' alternation answers; the Set and the exact expressions
    are not asked."""
    backend = fresh_backend()

    class Refuse:
        def Match(self, _data: bytes) -> list[int]:
            raise AssertionError("the Set was asked")

    backend._set = Refuse()  # type: ignore[union-attr,assignment]
    prose = "The agent summarised the quarterly report for the northern region. " * 2000
    assert not backend.any(prose)
    assert backend.confirmations == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "blob",
    [
        base64.b64encode(random.Random(1).randbytes(300_000)).decode(),
        "".join(random.Random(2).choices(string.ascii_lowercase + string.digits + " ", k=300_000)),
        base64.urlsafe_b64encode(random.Random(3).randbytes(200_000)).decode(),
    ],
)
def test_blobs_cost_one_confirmation_per_reported_entry_at_most(blob: str) -> None:
    """The work over a blob is one Set pass plus one single-expression pass per entry the screens
    report — those whose short keyword ("hf_", "sk-", "AKIA") occurs by chance in 200-300 KB of
    random text, a dozen or so of the 170+ — never a pass per rule."""
    backend = fresh_backend()
    screened = backend._set.Match(blob.encode()) or ()  # type: ignore[union-attr]
    present = backend.present(blob)
    assert backend.confirmations <= len(screened) <= 24  # type: ignore[union-attr]
    assert sorted(present) == oracle_present(blob)


class _OutOfMemory:
    """What the binding returns when RE2's automaton fails mid-search: nothing, not even the canary
    (the C++ failure flag is dropped). It cannot be provoked on demand (RE2 resets its state cache
    before it gives up), so it is injected."""

    def Match(self, _data: bytes) -> list[int]:
        return []


def test_every_pass_that_worked_reports_the_canary() -> None:
    backend = fresh_backend()
    for text in ("", "prose without anything", sample_text("github-pat")):
        assert backend._set.Match(text.encode())[-1:] == [backend._canary]  # type: ignore[union-attr]


@pytest.mark.parametrize("rule_id", ["github-pat", "openai-project-key", "aws-access-key-id",
                                     "jdbc-password", "slack-bot-token"])
def test_a_set_that_could_not_search_means_every_entry_not_none(rule_id: str) -> None:
    """Fail closed: with the Set out of memory, the rules are tried one by one, so a secret is
    still found; it never reads as "no keyword present"."""
    text = f"deploy notes: {sample_text(rule_id)} (rotate monthly)"
    backend = fresh_backend()
    expected = sorted(backend.present(text))
    assert expected  # the rule's own keyword is there
    backend._set = _OutOfMemory()  # type: ignore[union-attr,assignment]
    assert set(expected) <= set(backend.present(text))
    assert backend.any(text)


def test_detect_finds_the_secret_when_the_set_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    text = f"token {sample_text('github-pat')} for the bot"
    found = {hit.type for hit in secrets.detect(text)}
    assert found
    monkeypatch.setattr(_engine.compiled().prefilter, "_set", _OutOfMemory())
    assert {hit.type for hit in secrets.detect(text)} == found
