"""Matching machinery: keyword prefilter (Aho-Corasick), per-rule regexes, gates, overlap resolution.

Why this shape: every outbound request passes through here, so the common case (no credential in the
text) must cost one C-level pass: the prefilter (``_prefilter``: RE2 Set or Hyperscan) reports which
rules can match at all. Only those run their Python regex; the context/generic/URI rules (whose
patterns start with a case-insensitive alternation that ``re`` cannot skip ahead for) are tried only
where a match can start (an RE2 "locator", or the keyword's occurrences). See
``benchmarks/bench_secrets.py`` and ``docs/secrets.md``.
"""

from __future__ import annotations

import os
import re
import threading
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from ..types import Hit
from . import _prefilter
from . import validators as v
from .context import classify_key
from .rules import (
    GENERIC_KINDS,
    GENERIC_RULE,
    PRIORITY_CONTEXT,
    PRIORITY_GENERIC,
    RULES,
    URI_FALLBACK,
    URI_RULE,
    URI_SCHEMES,
    Rule,
    prefilter_expression,
)

_BOUNDARY_CHARS = {
    "alnum": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
    "alnum_": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"),
    "azure": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-"),
    "none": frozenset(),
}
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_AUTH_SCHEME = re.compile(r"(?i)(?:bearer|token|basic|bot|apikey|key)\s+(?=\S+\Z)")
_URI_WEAK_PASSWORDS = frozenset(
    {
        "pass",
        "password",
        "passwd",
        "pwd",
        "secret",
        "changeme",
        "root",
        "admin",
        "user",
        "username",
        "x-oauth-basic",
        "x",
        "token",
    }
)
_VALUE_GROUPS = ("v", "v2", "v3")


@dataclass(frozen=True, slots=True)
class _Candidate:
    rule_id: str
    type: str
    provider: str | None
    start: int
    end: int
    priority: int
    severity: float


class _Compiled:
    """Everything built from the rule table once: regexes, prefilter, lookups."""

    def __init__(self) -> None:
        self.rules: list[Rule] = [*RULES, URI_RULE, GENERIC_RULE]
        # ASCII: credentials are ASCII, and \\s / \\w / (?i) then mean what they mean in the prefilter.
        self.regexes = [re.compile(r.pattern, re.ASCII) for r in self.rules]
        self.tails = [re.compile(r.tail, re.ASCII) if r.tail else None for r in self.rules]
        self.key_regexes = [re.compile(r.key_value, re.ASCII) if r.key_value else None for r in self.rules]
        self.uri_index = len(RULES)
        self.generic_index = len(RULES) + 1
        # Prefilter entries: a rule's own necessary-condition regex, or its literal keywords (shared).
        expressions: list[str] = []
        entry_rules: list[list[int]] = []
        literal_entry: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            expression = prefilter_expression(rule)
            if expression is not None:
                expressions.append(expression)
                entry_rules.append([i])
                continue
            for kw in rule.keywords:
                j = literal_entry.get(kw)
                if j is None:
                    j = literal_entry[kw] = len(expressions)
                    expressions.append(re.escape(kw))
                    entry_rules.append([])
                entry_rules[j].append(i)
        self.entry_rules = [tuple(r) for r in entry_rules]
        # Anchored rules with their own prefilter regex: an RE2 "locator" that finds only the
        # positions where a match can start (far fewer than the keyword's occurrences in code/prose).
        self.locators = [
            _prefilter.compile_locator(prefilter_expression(r) or "") if r.anchored and r.prefilter else None
            for r in self.rules
        ]
        self.expressions = expressions
        self.prefilter: _prefilter.Prefilter = _prefilter.build(expressions)
        self.key_rules = [i for i, r in enumerate(self.rules) if r.key_words]
        schemes: dict[str, tuple[str, str]] = {}
        for names, rule_id, type_ in URI_SCHEMES:
            for name in names:
                schemes[name] = (rule_id, type_)
        self.uri_schemes = schemes

    @lru_cache(maxsize=2048)  # noqa: B019 - one instance for the process; keys repeat constantly
    def rules_for_key(self, low_key: str) -> tuple[int, ...]:
        return tuple(i for i in self.key_rules if any(w in low_key for w in self.rules[i].key_words))


_compiled: _Compiled | None = None
_lock = threading.Lock()


def compiled() -> _Compiled:
    """Build the tables on first use (import stays cheap), exactly once even under threads."""
    global _compiled
    c = _compiled
    if c is None:
        with _lock:
            c = _compiled
            if c is None:
                c = _compiled = _Compiled()
                if os.environ.get("INTERVEN_SECRETS_PREFILTER", "").lower() != "re2":
                    threading.Thread(
                        target=_upgrade_prefilter, args=(c,), name="secrets-prefilter", daemon=True
                    ).start()
    return c


def _upgrade_prefilter(c: _Compiled) -> None:
    fast = _prefilter.build_fast(c.expressions)
    if fast is not None:
        c.prefilter = fast  # one attribute store: readers see either back-end, both give the same answer


def wait_for_fast_prefilter(timeout: float = 10.0) -> str:
    """Benchmarks/tests: block until the background Hyperscan build (if any) is done; the back-end name."""
    c = compiled()
    for t in threading.enumerate():
        if t.name == "secrets-prefilter":
            t.join(timeout)
    return c.prefilter.name


# --------------------------------------------------------------------------- public entry points


def may_match(text: str) -> bool:
    if not text:
        return False
    return compiled().prefilter.any(text)


def key_is_sensitive(key: str) -> bool:
    """Whether ``detect(value, key=key)`` can report something that ``detect(value)`` would not:
    the name announces a credential (``password``, ``X-Api-Key``) or a provider (``DD_API_KEY``)."""
    if not key:
        return False
    return classify_key(key) is not None or bool(compiled().rules_for_key(key.lower()[:200]))


def detect(text: str, key: str | None = None) -> list[Hit]:
    if not isinstance(text, str) or not text:
        return []
    c = compiled()
    cands: list[_Candidate] = []
    _scan_keywords(c, text, cands)
    if key:
        _scan_key_context(c, text, key, cands)
    return _resolve(cands)


# --------------------------------------------------------------------------- scanning


def _scan_keywords(c: _Compiled, text: str, cands: list[_Candidate]) -> None:
    present = c.prefilter.present(text)
    if not present:
        return
    triggered: set[int] = set()
    for e in present:
        triggered.update(c.entry_rules[e])
    lower: str | None = None
    n = len(text)
    for i in sorted(triggered):
        rule = c.rules[i]
        regex = c.regexes[i]
        if rule.anchored:
            if lower is None:
                lower = text.lower()
            if len(lower) == n:  # else lower() expanded a character and offsets would drift
                _scan_near(c, i, text, lower, cands)
                continue
        for m in regex.finditer(text):
            _consider(c, i, text, m, cands)


def _scan_near(c: _Compiled, i: int, text: str, lower: str, cands: list[_Candidate]) -> None:
    """Try an anchored rule only where its match can start: at its keywords' occurrences."""
    rule = c.rules[i]
    locator = c.locators[i]
    if locator is not None and text.isascii():  # byte offsets == character offsets
        for pos in _prefilter.locate(locator, text):
            kw = _keyword_at(rule.keywords, lower, pos)
            if kw is not None:
                _try_anchored(c, i, text, pos, kw, cands)
        return
    for kw in rule.keywords:
        pos = lower.find(kw)
        while pos >= 0:
            _try_anchored(c, i, text, pos, kw, cands)
            pos = lower.find(kw, pos + 1)


def _keyword_at(keywords: tuple[str, ...], lower: str, pos: int) -> str | None:
    best = None
    for kw in keywords:
        if lower.startswith(kw, pos) and (best is None or len(kw) > len(best)):
            best = kw
    return best


def _try_anchored(c: _Compiled, i: int, text: str, pos: int, kw: str, cands: list[_Candidate]) -> None:
    tail = c.tails[i]
    if tail is not None:
        m = tail.match(text, pos + len(kw))
        if m is not None:
            _consider(c, i, text, m, cands, key_start=pos)
        return
    m = c.regexes[i].match(text, pos)
    if m is not None:
        _consider(c, i, text, m, cands)


def _value_span(m: re.Match[str]) -> tuple[int, int]:
    groups = m.re.groupindex
    for name in _VALUE_GROUPS:
        if name in groups and m.group(name) is not None:
            return m.span(name)
    return m.span()


def _consider(
    c: _Compiled, i: int, text: str, m: re.Match[str], cands: list[_Candidate], key_start: int | None = None
) -> None:
    rule = c.rules[i]
    start, end = _value_span(m)
    if start >= end:
        return
    banned = _BOUNDARY_CHARS[rule.boundary]
    if (start > 0 and text[start - 1] in banned) or (end < len(text) and text[end] in banned):
        return
    value = text[start:end]
    if i == c.uri_index:
        _consider_uri(c, text, m, start, end, value, cands)
        return
    if i == c.generic_index:
        if key_start is None:
            k0, k1 = m.span("k")
        else:
            k0, k1 = key_start, m.end("kt")
        _consider_generic(text, k0, k1, start, end, value, cands)
        return
    if _passes(rule, value):
        cands.append(_Candidate(rule.id, rule.type, rule.provider, start, end, rule.priority, rule.severity))


def _passes(rule: Rule, value: str) -> bool:
    if rule.check_placeholder and v.is_placeholder(value):
        return False
    if rule.min_entropy and v.shannon_entropy(value) < rule.min_entropy:
        return False
    return rule.validator is None or v.VALIDATORS[rule.validator](value)


def _consider_uri(
    c: _Compiled, text: str, m: re.Match[str], start: int, end: int, value: str, cands: list[_Candidate]
) -> None:
    low = value.lower()
    if low in _URI_WEAK_PASSWORDS or v.is_placeholder(value) or (value.isdigit() and len(value) <= 5):
        return
    s = m.start()
    while s > 0 and text[s - 1] in _SCHEME_CHARS:
        s -= 1
    scheme = text[s : m.start()].lower()
    if not scheme or not scheme[0].isalpha():
        return
    rule_id, type_ = c.uri_schemes.get(scheme) or c.uri_schemes.get(scheme.split("+")[0]) or URI_FALLBACK
    cands.append(_Candidate(rule_id, type_, None, start, end, URI_RULE.priority, 0.9))


def _consider_generic(
    text: str, k0: int, k1: int, start: int, end: int, value: str, cands: list[_Candidate]
) -> None:
    while k0 > 0 and text[k0 - 1] in _KEY_CHARS:
        k0 -= 1
    kind = classify_key(text[k0:k1])
    if kind is None or not v.generic_value_ok(value, kind):
        return
    rule_id, type_ = GENERIC_KINDS[kind]
    cands.append(_Candidate(rule_id, type_, None, start, end, PRIORITY_GENERIC, 0.7))


def _scan_key_context(c: _Compiled, text: str, key: str, cands: list[_Candidate]) -> None:
    """The field's name is the context: test the whole (trimmed) value against key-bound rules."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if start >= end or end - start > 4096:
        return
    scheme = _AUTH_SCHEME.match(text[start:end])
    if scheme:
        start += scheme.end()
    value = text[start:end]
    for i in c.rules_for_key(key.lower()[:200]):
        rule = c.rules[i]
        if c.key_regexes[i].fullmatch(value):  # type: ignore[union-attr]
            if _passes(rule, value):
                cands.append(
                    _Candidate(rule.id, rule.type, rule.provider, start, end, PRIORITY_CONTEXT, rule.severity)
                )
    kind = classify_key(key)
    if kind is not None and v.generic_value_ok(value, kind):
        rule_id, type_ = GENERIC_KINDS[kind]
        cands.append(_Candidate(rule_id, type_, None, start, end, PRIORITY_GENERIC, 0.7))


def _resolve(cands: list[_Candidate]) -> list[Hit]:
    """Non-overlapping hits; on overlap the more specific rule wins, then the longer span."""
    if not cands:
        return []
    cands.sort(key=lambda h: (-h.priority, -(h.end - h.start), h.start))
    starts: list[int] = []  # accepted spans, kept sorted and disjoint
    taken: list[_Candidate] = []
    for cand in cands:
        j = bisect_left(starts, cand.start)
        if j > 0 and taken[j - 1].end > cand.start:
            continue
        if j < len(taken) and taken[j].start < cand.end:
            continue
        starts.insert(j, cand.start)
        taken.insert(j, cand)
    return [
        Hit(
            type=t.type,
            detector=t.rule_id,
            category="secret",
            start=t.start,
            end=t.end,
            provider=t.provider,
            severity=t.severity,
        )
        for t in taken
    ]
