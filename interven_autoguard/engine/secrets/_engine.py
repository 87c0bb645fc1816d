"""Matching machinery: keyword prefilter (Aho-Corasick), per-rule regexes, gates, overlap resolution.

Why this shape: every outbound request passes through here, so the common case (no credential in the
text) must cost one C-level pass. ``text.lower()`` is fed once to a pyahocorasick automaton holding
every rule's keywords; only rules whose keyword occurred run their regex, and the context/generic
rules (whose patterns start with a case-insensitive alternation, which ``re`` cannot skip ahead for)
run only in small windows around the keyword occurrences. See ``benchmarks/bench_secrets.py``.
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
        if rule.window is not None:
            if lower is None:
                lower = text.lower()
            if len(lower) == n:  # else lower() expanded a character and offsets would drift
                _scan_near(c, i, text, lower, cands)
                continue
        for m in regex.finditer(text):
            _consider(c, i, text, m, cands)


def _scan_near(c: _Compiled, i: int, text: str, lower: str, cands: list[_Candidate]) -> None:
    """Try the rule only where one of its keywords occurs."""
    rule = c.rules[i]
    regex = c.regexes[i]
    tail = c.tails[i]
    if rule.anchored:
        for kw in rule.keywords:
            pos = lower.find(kw)
            while pos >= 0:
                if tail is not None:
                    m = tail.match(text, pos + len(kw))
                    if m is not None:
                        _consider(c, i, text, m, cands, key_start=pos)
                else:
                    m = regex.match(text, pos)
                    if m is not None:
                        _consider(c, i, text, m, cands)
                pos = lower.find(kw, pos + 1)
        return
    starts = []
    for kw in rule.keywords:
        pos = lower.find(kw)
        while pos >= 0:
            starts.append(pos)
            pos = lower.find(kw, pos + 1)
    back, fwd = rule.window  # type: ignore[misc]
    n = len(text)
    for lo, hi in _merge_windows(starts, back, fwd, n):
        for m in regex.finditer(text, lo, hi):
            if m.end() == hi and hi < n:  # the window may have cut the value short: re-match unbounded
                full = regex.match(text, m.start())
                if full is None:
                    continue
                m = full
            _consider(c, i, text, m, cands)


def _merge_windows(starts: list[int], back: int, fwd: int, n: int) -> list[tuple[int, int]]:
    """Windows [keyword start - back, keyword start + fwd), merged where they touch."""
    out: list[tuple[int, int]] = []
    for kw_start in sorted(starts):
        lo = max(0, kw_start - back)
        hi = min(n, kw_start + fwd)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


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
