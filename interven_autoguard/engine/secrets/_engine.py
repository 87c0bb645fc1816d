"""Matching machinery: prefilter (RE2 Set or Hyperscan), per-rule regexes, gates, overlap resolution.

Why this shape: every outbound request passes through here, so the common case (no credential in the
text) must cost one C-level pass: the prefilter (``_prefilter``: RE2 Set or Hyperscan) reports which
rules can match at all. Only those run their Python regex; the context/generic/URI rules (whose
patterns start with a case-insensitive alternation that ``re`` cannot skip ahead for) are tried only
where a match can start (an RE2 "locator", or the keyword's occurrences). See
``benchmarks/bench_secrets.py`` and ``docs/secrets.md``.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from ..types import Hit
from . import _prefilter
from . import validators as v
from .context import PAT_VALUE, classify_key, names_a_digest, names_a_pat
from .rules import (
    AUTH_SCHEME_RULE,
    CLI_PASSWORD_RULE,
    CURL_USER_RULE,
    GENERIC_KINDS,
    GENERIC_RULE,
    INLINE_RULES,
    JWK_MEMBER_VALUE,
    JWK_RULE,
    PRIORITY_CONTEXT,
    PRIORITY_GENERIC,
    PRIORITY_INLINE,
    RULES,
    URI_FALLBACK,
    URI_RULE,
    URI_SCHEMES,
    XML_MAX_ATTRS,
    XML_NAME_ATTRS,
    XML_RULE,
    Rule,
    locator_expression,
    prefilter_expression,
    screen_expression,
)
from .uri import userinfo_at

_ALNUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = frozenset(_ALNUM_CHARS)
# Rule.boundary -> (characters that must not come right before a value, right after it).
_BOUNDARY_CHARS = {
    "alnum": (_ALNUM, _ALNUM),
    "alnum_": (_ALNUM | {"_"}, _ALNUM | {"_"}),
    "azure": (_ALNUM | set("_~.-"), _ALNUM | set("_~.-")),
    # A value that starts with digits may follow letters ("bot<token>" in every Telegram API URL),
    # never more digits; nothing of its own alphabet may follow it.
    "digits": (frozenset("0123456789"), _ALNUM | {"_", "-"}),
    "none": (frozenset(), frozenset()),
}
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
# Dev-container passwords, written into every docker-compose file and CI ``services:`` block: the
# service's own name (``postgres://postgres:postgres@db``, as GitHub's service-container guide
# writes it; ``amqp://rabbitmq:rabbitmq@rabbitmq``), also with a "pass" suffix
# (``redis://:redispass@localhost``), MinIO's documented default ``minioadmin``, and the values the
# official postgres and mysql images' READMEs use (``mysecretpassword``, ``my-secret-pw``). A
# throwaway, not a secret, wherever the host is; any other password, to localhost too, is found.
_URI_SERVICE_NAMES = ("postgres", "postgresql", "mysql", "mariadb", "redis", "rabbitmq", "mongo",
                      "minioadmin")
_URI_PASS_SUFFIXES = ("", "pass", "password", "pw", "pwd")
_URI_IMAGE_DEFAULT_PASSWORDS = frozenset(
    {
        *(f"{name}{suffix}" for name in _URI_SERVICE_NAMES for suffix in _URI_PASS_SUFFIXES),
        "mysecretpassword",
        "my-secret-pw",
    }
)
# A password that repeats its user name (``app:app``, ``airflow:airflow``, ``keycloak:keycloak``) is
# the same kind of stand-in when it is a plain word: lower-case letters, "_" or "-", a few digits.
_URI_WORD_PASSWORD = re.compile(r"[a-z]+(?:[_-][a-z]+)*[0-9]{0,4}")
_VALUE_GROUPS = ("v", "v2", "v3", "v4", "v5")


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
        self.rules: list[Rule] = [*RULES, URI_RULE, GENERIC_RULE, *INLINE_RULES]
        # ASCII: credentials are ASCII, and \\s / \\w / (?i) then mean what they mean in the prefilter.
        self.regexes = [re.compile(_guard_prefix(r.pattern, r.boundary), re.ASCII) for r in self.rules]
        self.tails = [re.compile(r.tail, re.ASCII) if r.tail else None for r in self.rules]
        self.key_regexes = [re.compile(r.key_value, re.ASCII) if r.key_value else None for r in self.rules]
        self.uri_index = len(RULES)
        self.generic_index = len(RULES) + 1
        # The inline generic readings (``rules.INLINE_RULES``): rule index -> its reader.
        readers = {AUTH_SCHEME_RULE.id: _consider_auth_scheme, CURL_USER_RULE.id: _consider_curl_user,
                   XML_RULE.id: _consider_xml, CLI_PASSWORD_RULE.id: _consider_curl_user,
                   JWK_RULE.id: _consider_jwk}
        self.inline = {len(RULES) + 2 + j: readers[r.id] for j, r in enumerate(INLINE_RULES)}
        # Prefilter entries: a rule's own necessary-condition regex, or its literal keywords (shared).
        expressions: list[str] = []
        screens: list[str] = []
        entry_rules: list[list[int]] = []
        literal_entry: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            expression = prefilter_expression(rule)
            if expression is not None:
                expressions.append(expression)
                screens.append(screen_expression(rule))  # type: ignore[arg-type]
                entry_rules.append([i])
                continue
            for kw in rule.keywords:
                j = literal_entry.get(kw)
                if j is None:
                    j = literal_entry[kw] = len(expressions)
                    expressions.append(re.escape(kw))
                    screens.append(re.escape(kw))
                    entry_rules.append([])
                entry_rules[j].append(i)
        self.entry_rules = [tuple(r) for r in entry_rules]
        # Anchored rules with their own prefilter regex: an RE2 "locator" that finds only the
        # positions where a match can start (far fewer than the keyword's occurrences in code/prose).
        self.locators = [
            _prefilter.compile_locator(locator_expression(r)) if r.anchored and r.prefilter else None
            for r in self.rules
        ]
        # Entry e occurs in a text iff exact_expressions[e] does. ``expressions`` are what any
        # automaton over all entries looks for (the triage's too): the screens, each a necessary
        # condition of its exact expression, without the counted repeats whose product made one
        # automaton of them all crawl over base64 and random text (``rules.screen_expression``).
        self.exact_expressions = expressions
        self.expressions = screens
        self.prefilter: _prefilter.Prefilter = _prefilter.build(expressions, screens)
        self.key_rules = [i for i, r in enumerate(self.rules) if r.key_words]
        # Which of a rule's keywords starts at a position (longest first), in one C call.
        self.keyword_res = [
            re.compile("|".join(re.escape(k) for k in sorted(r.keywords, key=len, reverse=True)))
            for r in self.rules
        ]
        schemes: dict[str, tuple[str, str]] = {}
        for names, rule_id, type_ in URI_SCHEMES:
            for name in names:
                schemes[name] = (rule_id, type_)
        self.uri_schemes = schemes

    @lru_cache(maxsize=2048)  # noqa: B019 - one instance for the process; keys repeat constantly
    def rules_for_key(self, low_key: str) -> tuple[int, ...]:
        return tuple(i for i in self.key_rules if any(w in low_key for w in self.rules[i].key_words))


_LITERAL_CHAR = re.compile(r"\\[^A-Za-z0-9]|[A-Za-z0-9_ ~:@%/=,'\"-]")
_TOKEN_CHARS = _ALNUM_CHARS + "_-"
_CHAR_CLASS = re.compile(r"\[(?:\\.|[^\]\\])+\]")


def _guard_class(value_pattern: str, boundary: str) -> str:
    """What may not come right before a rule's literal prefix: a token character the rest of its
    pattern could read (then the occurrence may lie inside a run a match starting earlier already
    read: "glpat-glpat-…" must not start a long scan at every occurrence), and what the rule's
    boundary refuses. A separator the token's alphabet lacks ("X-ghp_…", "key_sk_live_…") does not
    hide the token. A pattern reading any character (``.``, ``\\w``, ``\\S``…) refuses them all."""
    if re.search(r"(?<!\\)\.|\\[wWSD]|\[\^", value_pattern):
        readable = set(_TOKEN_CHARS)
    else:
        classes = [re.compile(c, re.ASCII) for c in _CHAR_CLASS.findall(value_pattern)]
        readable = {c for c in _TOKEN_CHARS if any(k.fullmatch(c) for k in classes)}
    refused = readable | (_BOUNDARY_CHARS[boundary][0] & set(_TOKEN_CHARS))
    return "[" + "".join(c for c in _TOKEN_CHARS if c in refused).replace("-", "\\-") + "]"


def _guard_prefix(pattern: str, boundary: str) -> str:
    """``LIT…`` → ``LIT(?<!G LIT)…``: refuse, right after ``re``'s fast literal search, a match that
    starts inside a longer token (``G``: ``_guard_class``). Without it a text like "eyJeyJeyJ…"
    makes every occurrence scan up to the rule's maximum length (quadratic); with it the cost stays
    linear and the literal-prefix search stays fast (a leading lookbehind would disable it)."""
    if boundary == "none":
        return pattern
    pos, literal = 0, []
    while pos < len(pattern):
        m = _LITERAL_CHAR.match(pattern, pos)
        if m is None:
            break
        literal.append(m.group())
        pos = m.end()
    if literal and pos < len(pattern) and pattern[pos] in "?*+{":  # last literal is quantified
        literal.pop()
    if len(literal) < 2:
        return pattern
    prefix = "".join(literal)
    guard = _guard_class(pattern[len(prefix) :], boundary)
    return prefix + f"(?<!{guard}{prefix})" + pattern[len(prefix) :]


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
                if _prefilter.hyperscan_wanted():
                    threading.Thread(
                        target=_upgrade_prefilter, args=(c,), name="secrets-prefilter", daemon=True
                    ).start()
    return c


def _upgrade_prefilter(c: _Compiled) -> None:
    fast = _prefilter.build_fast(c.exact_expressions)  # Hyperscan copes with counted repeats
    if fast is not None:
        c.prefilter = fast  # one attribute store: readers see either back-end, both give the same answer


def wait_for_fast_prefilter(timeout: float = 10.0) -> str:
    """Block until the background Hyperscan build (if enabled) is done; returns the back-end name."""
    c = compiled()
    for t in threading.enumerate():
        if t.name == "secrets-prefilter":
            t.join(timeout)
    return c.prefilter.name


# --------------------------------------------------------------------------- public entry points


def may_match(text: str) -> bool:
    if not text or not isinstance(text, str):
        return False
    return compiled().prefilter.any(text)


def key_is_sensitive(key: str) -> bool:
    """Whether ``detect(value, key=key)`` can report something that ``detect(value)`` would not:
    the name announces a credential (``password``, ``X-Api-Key``) or a provider (``DD_API_KEY``)."""
    if not key or not isinstance(key, str):
        return False
    return classify_key(key) is not None or bool(compiled().rules_for_key(key.lower()[:200]))


def name_triage_expressions() -> tuple[str, str]:
    """RE2 expressions (case-insensitive, over bytes) one of which matches a text wherever a name
    in it could be sensitive (``key_is_sensitive``): a JSON object key (``"…password…": ``, escapes
    allowed) or a form/query name (``…password…=``, ``…_pat=``). A field read under such a name is checked
    whole, whatever it looks like (``{"password": ["hunter22x"]}``), so a triage that reads only
    values would clear it."""
    from .context import LAST_WORDS, NAME_MARKERS, SPLIT_COMPOUNDS, WORD_END_MARKERS

    c = compiled()
    words = sorted({*NAME_MARKERS, *(w for i in c.key_rules for w in c.rules[i].key_words)})
    split = r'(?:[^A-Za-z0-9"=&\\\n]|\\.)*'  # what key_words splits on (camelCase needs nothing)
    compounds = (split.join(re.escape(ch) for ch in w) for w in SPLIT_COMPOUNDS)
    plain = "|".join([*(re.escape(w) for w in words), *compounds])
    ends = "|".join(re.escape(w) for w in WORD_END_MARKERS)
    in_key = r'(?:[^"\\\n]|\\.)*'  # the rest of a JSON string, escapes included
    last = "|".join(re.escape(w) for w in sorted(LAST_WORDS))  # nothing alphanumeric after it
    json_key = (rf'(?:(?:{plain}){in_key}|(?:{ends})(?:(?-i:[^a-z"\n]){in_key})?'
                rf'|(?:{last})(?:[^A-Za-z0-9"\n]{in_key})?)"[\t\n\r ]*:')
    form_name = (rf"(?:(?:{plain})[^=&\n]*|(?:{ends})(?:(?-i:[^a-z=&\n])[^=&\n]*)?"
                 rf"|(?:{last})(?:[^A-Za-z0-9=&\n][^=&\n]*)?)=")
    return json_key, form_name


@lru_cache(maxsize=1)
def _names_matcher() -> Callable[[bytes], bool]:
    return _prefilter.compile_any(name_triage_expressions())


def may_name_a_secret(text: str) -> bool:
    """False ⇒ no JSON key or form/query name in ``text`` is sensitive (``name_triage_expressions``)."""
    return _names_matcher()(text.encode("utf-8", "surrogatepass"))


def detect(text: str, key: str | None = None) -> list[Hit]:
    if not isinstance(text, str) or not text:
        return []
    if not isinstance(key, str):  # e.g. an array index from a JSON path: no name, no context
        key = None
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
    """Try an anchored rule only where its match can start: at its keywords' occurrences.

    Work is bounded: attempts stop once they have covered about twice the text (a body made of
    "password=password=…" would otherwise cost ~200 characters of checks per occurrence). Only the
    context/generic rule that is being flooded stops; the provider formats still run in full.
    """
    locator = c.locators[i]
    budget = 2 * len(text) + 16384
    if locator is not None and text.isascii():  # byte offsets == character offsets
        keyword_at = c.keyword_res[i]
        for pos in _prefilter.locate(locator, text):
            kw = keyword_at.match(lower, pos)
            if kw is not None:
                budget -= _try_anchored(c, i, text, pos, kw.end() - pos, cands)
                if budget < 0:
                    return
        return
    for kw in c.rules[i].keywords:
        pos = lower.find(kw)
        while pos >= 0:
            budget -= _try_anchored(c, i, text, pos, len(kw), cands)
            if budget < 0:
                return
            pos = lower.find(kw, pos + 1)


def _try_anchored(c: _Compiled, i: int, text: str, pos: int, kw_len: int, cands: list[_Candidate]) -> int:
    """One attempt at ``pos``; returns its cost in characters for the work budget (at least 64, so
    that a flood of tiny candidates is bounded too)."""
    tail = c.tails[i]
    if tail is not None:  # the generic rule: classify the field name before anything else
        m = tail.match(text, pos + kw_len)
        if m is None:
            return 64
        k0 = pos
        floor = max(0, pos - 80)
        while k0 > floor and text[k0 - 1] in _KEY_CHARS:
            k0 -= 1
        key = text[k0 : m.end("kt")]
        kind = classify_key(key)
        if (kind is not None and not _arn_resource_type(text, k0, m.end("kt"))
                and not _base64_padding(text, k0, pos, m.end("kt"))):
            start, end = _value_span(m)
            _consider_generic_value(text, kind, start, end, cands, key)
        return max(64, m.end() - pos)
    m = c.regexes[i].match(text, pos)
    if m is None:
        return 64
    _consider(c, i, text, m, cands)
    return max(64, m.end() - pos)


_CHAR_CLASS_OF = {c: "l" if c.islower() else "u" if c.isupper() else "d" for c in _ALNUM_CHARS}
_BASE64_CHARS = _ALNUM | {"+", "/"}


def _base64_padding(text: str, k0: int, pos: int, k1: int) -> bool:
    """``NAME= value``, the "=" right after the name ``text[k0:k1]`` and a space after it, is a base64
    run's padding rather than an assignment (``h1:…WzqR0Pw= github.com/…``: go.sum lines run
    together) when the run of base64 characters ending the name holds a "+" or "/", or 16 or more
    letters and digits that mix both cases and digits (a name that long has a separator), or when
    the letters and digits right before the base word at ``pos`` (up to 16, back to a ``_ . -``)
    switch between lower case, upper case and digits at more than every other character: random
    base64 does at ~0.6 per character, a name rarely (``awsSecretAccessKey`` 0.27,
    ``myS3BucketSecret`` 0.4)."""
    if text[k1 : k1 + 1] != "=" or text[k1 + 1 : k1 + 2] not in (" ", "\t"):
        return False
    run = k1
    floor = max(0, k1 - 100)
    while run > floor and text[run - 1] in _BASE64_CHARS:
        run -= 1
    stretch = text[run:k1]
    if "+" in stretch or "/" in stretch:
        return True
    if len(stretch) >= 16 and not stretch.isalpha() and not stretch.islower() and not stretch.isupper():
        return True
    seg = pos
    while seg > max(k0, pos - 16) and text[seg - 1] in _ALNUM:
        seg -= 1
    return pos - seg >= 6 and 2 * _switches(text[seg:pos]) > pos - seg


def _switches(run: str) -> int:
    """How often a run of letters and digits switches between lower case, upper case and digits."""
    classes = [_CHAR_CLASS_OF[ch] for ch in run]
    return sum(a != b for a, b in pairwise(classes))


def _arn_resource_type(text: str, k0: int, k1: int) -> bool:
    """The key ``text[k0:k1]`` is an ARN's resource type (``…:123456789012:secret:prod/db``), a
    word of a name rather than an assignment: it follows an ARN's head and a ":" or "/" follows it
    (``…:bucket/password=…`` is still an assignment)."""
    return k0 >= 4 and text[k1 : k1 + 1] in (":", "/") and v.inside_arn(text, k0)


def _value_span(m: re.Match[str]) -> tuple[int, int]:
    groups = m.re.groupindex
    for name in _VALUE_GROUPS:
        if name in groups and m.group(name) is not None:
            return m.span(name)
    return m.span()


def _crosses_boundary(boundary: str, text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` touches a character its rule's boundary refuses on either side."""
    before, after = _BOUNDARY_CHARS[boundary]
    return (start > 0 and text[start - 1] in before) or (end < len(text) and text[end] in after)


def _consider(c: _Compiled, i: int, text: str, m: re.Match[str], cands: list[_Candidate]) -> None:
    if i == c.uri_index:
        _consider_uri(c, text, m.start(), cands)
        return
    reader = c.inline.get(i)
    if reader is not None:
        reader(text, m, cands)
        return
    rule = c.rules[i]
    start, end = _value_span(m)
    if start >= end:
        return
    if _crosses_boundary(rule.boundary, text, start, end):
        return
    value = text[start:end]
    if i == c.generic_index:  # full-pattern path (text whose lower() changed length)
        k0, k1 = m.span("k")
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


def _consider_uri(c: _Compiled, text: str, sep: int, cands: list[_Candidate]) -> None:
    """``text[sep:]`` starts ``://user:``: the password, read as ``uri.userinfo_at`` reads it."""
    found = userinfo_at(text, sep)
    if found is None:
        return
    scheme, user_start, start, end = found
    value = text[start:end]
    low = value.lower()
    if low in _URI_WEAK_PASSWORDS or v.is_placeholder(value) or (value.isdigit() and len(value) <= 5):
        return
    if low in _URI_IMAGE_DEFAULT_PASSWORDS or (
        value == text[user_start : start - 1] and _URI_WORD_PASSWORD.fullmatch(value) is not None
    ):
        return
    rule_id, type_ = c.uri_schemes.get(scheme) or c.uri_schemes.get(scheme.split("+")[0]) or URI_FALLBACK
    cands.append(_Candidate(rule_id, type_, None, start, end, URI_RULE.priority, 0.9))


def _consider_generic(
    text: str, k0: int, k1: int, start: int, end: int, value: str, cands: list[_Candidate]
) -> None:
    pos = k0
    while k0 > 0 and text[k0 - 1] in _KEY_CHARS:
        k0 -= 1
    kind = classify_key(text[k0:k1])
    if kind is not None and not _arn_resource_type(text, k0, k1) and not _base64_padding(text, k0, pos, k1):
        _consider_generic_value(text, kind, start, end, cands, text[k0:k1])


def _consider_generic_value(
    text: str, kind: str, start: int, end: int, cands: list[_Candidate], key: str
) -> None:
    if start >= end:
        return
    if _crosses_boundary(GENERIC_RULE.boundary, text, start, end):
        return
    if not _generic_value_ok(text[start:end], kind, key):
        return
    rule_id, type_ = GENERIC_KINDS[kind]
    cands.append(_Candidate(rule_id, type_, None, start, end, PRIORITY_GENERIC, 0.7))


def _generic_value_ok(value: str, kind: str, key: str) -> bool:
    """``validators.generic_value_ok`` for a value found by its name ``key``: a hex value of a
    digest's length counts unless the name speaks of a digest; under a ``…_PAT`` name only a
    token's characters count (``_HEX_PAT = "[0-9A-Fa-f]{1,4}"`` is a regex)."""
    if names_a_pat(key) and not PAT_VALUE.fullmatch(value):
        return False
    return v.generic_value_ok(value, kind, named=not names_a_digest(key))


def _add_inline(kind: str, start: int, end: int, cands: list[_Candidate]) -> None:
    rule_id, type_ = GENERIC_KINDS[kind]
    cands.append(_Candidate(rule_id, type_, None, start, end, PRIORITY_INLINE, 0.7))


def _consider_auth_scheme(text: str, m: re.Match[str], cands: list[_Candidate]) -> None:
    """``Bearer <token>``, ``Basic <base64>``, ``Authorization: Token <token>`` written in a text.
    A Basic credential decodes to ``user:password``: the password is the finding (the user name
    when there is no password, as with API keys sent as the user), spanning the base64 that holds
    it. A JWT is the JWT rule's (which knows its example tokens)."""
    start, end = m.span("v")
    if _crosses_boundary("alnum", text, start, end):
        return
    value = text[start:end]
    if text[m.start() : m.start() + 5].lower() == "basic":
        creds = v.basic_credentials(value)
        if creds is None:
            return
        user, password = creds
        if password in v.SPEC_EXAMPLE_CREDENTIALS:
            return
        if password:
            if v.generic_value_ok(password, "password"):
                _add_inline("password", start, end, cands)
        elif v.generic_value_ok(user, "token"):
            _add_inline("token", start, end, cands)
        return
    if (value.startswith("eyJ") and value.count(".") >= 2) or value in v.SPEC_EXAMPLE_CREDENTIALS:
        return
    if v.generic_value_ok(value, "token", after_scheme=True):
        _add_inline("token", start, end, cands)


def _consider_curl_user(text: str, m: re.Match[str], cands: list[_Candidate]) -> None:
    """``curl -u user:password``, ``mysql -p<password>``, ``--password <value>``
    (``rules.CLI_PASSWORD_RULE``): the password, with the gates of ``password=``."""
    start, end = _value_span(m)
    if start < end and v.generic_value_ok(text[start:end], "password", named=True):
        _add_inline("password", start, end, cands)


_XML_ATTR = re.compile(
    r"""([A-Za-z_][\w:.-]{0,60})\s{0,3}=\s{0,3}(?:"([^"<>]{0,1000})"|'([^'<>]{0,1000})')""", re.ASCII
)
# What follows a start tag: its text (a CDATA section, a <value> child) and the matching end tag.
_XML_TEXT = re.compile(
    r"\s{0,20}(?:<!\[CDATA\[(?P<c>[^\]\s]{1,200})\]\]>|<value>\s{0,20}(?P<w>[^<>\s]{1,200})\s{0,20}</value>"
    r"|(?P<t>[^<>\s]{1,200}))\s{0,20}</(?P<close>[\w:.-]{1,130})\s{0,3}>",
    re.ASCII,
)
_XML_TEXT_GROUPS = ("c", "w", "t")
_PLIST_STRING = re.compile(r"\s{0,200}<string>(?P<t>[^<>\s]{1,200})</string>", re.ASCII)
# Attribute values that say the element holds no reusable secret: a WS-Security PasswordDigest (a
# hash of nonce, time and password), an X.509 certificate in a BinarySecurityToken.
_XML_NOT_A_SECRET = re.compile(r"(?i)passworddigest|x509|pkipath|pkcs7")
# HTML form controls: a page's hidden ``csrf_token`` input is what the page shows, not a config value.
_HTML_CONTROLS = frozenset({"input", "option", "button", "meta", "param", "select", "textarea", "data"})


def _xml_text(text: str, at: int, tag: str) -> tuple[int, int, int] | None:
    """The text of the element whose start tag ends at ``at`` (closed by ``</tag>``): its span and
    where the end tag ends."""
    t = _XML_TEXT.match(text, at)
    if t is None or t.group("close") != tag:
        return None
    for g in _XML_TEXT_GROUPS:
        if t.group(g) is not None:
            return t.start(g), t.end(g), t.end()
    return None


def _consider_xml(text: str, m: re.Match[str], cands: list[_Candidate]) -> None:
    """A start tag: its credential name (the element's, a name/key attribute's, a plist key's) and
    its value (the element's text, a ``value`` attribute, the plist's next ``<string>``)."""
    tag, attrs = m.group("tag"), m.group("attrs")
    closed = attrs.endswith("/")  # <add key="…" value="…"/>: no text
    local = tag.rpartition(":")[2]
    if attrs and _XML_NOT_A_SECRET.search(attrs):
        return
    kind = classify_key(local)
    value_span: tuple[int, int] | None = None
    if kind is None and attrs and local.lower() not in _HTML_CONTROLS and len(attrs) <= XML_MAX_ATTRS + 1:
        found: dict[str, tuple[int, int]] = {}
        base = m.start("attrs")
        for a in _XML_ATTR.finditer(attrs):
            g = 2 if a.group(2) is not None else 3
            found.setdefault(a.group(1).lower(), (base + a.start(g), base + a.end(g)))
        for name in XML_NAME_ATTRS:
            span = found.get(name)
            named = None if span is None else text[span[0] : span[1]]
            if named and len(named) <= 60 and "'" not in named and '"' not in named:
                kind = classify_key(named)
                if kind is not None:
                    value_span = found.get("value")
                    break
    if kind is None:
        if local == "key" and not closed:  # plist: <key>Password</key><string>…</string>
            name = _xml_text(text, m.end(), tag)
            if name is not None:
                kind = classify_key(text[name[0] : name[1]])
                s = _PLIST_STRING.match(text, name[2]) if kind is not None else None
                if s is not None:
                    value_span = s.span("t")
        if kind is None or value_span is None:
            return
    if value_span is None:
        if closed:
            return
        inner = _xml_text(text, m.end(), tag)
        if inner is None:
            return
        value_span = inner[0], inner[1]
    start, end = value_span
    if start < end and v.generic_value_ok(text[start:end], kind):
        _add_inline(kind, start, end, cands)


_JWK_KTY = re.compile(r'\\?"kty\\?"\s{0,3}:\s{0,3}\\?"(RSA|EC|OKP|oct)\\?"', re.ASCII)
_JWK_MEMBER = re.compile(
    r'\\?"(d|p|q|dp|dq|qi|k)\\?"\s{0,3}:\s{0,3}\\?"(' + JWK_MEMBER_VALUE + r')\\?"', re.ASCII
)
JWK_PRIVATE_MEMBERS = {"RSA": ("d", "p", "q", "dp", "dq", "qi"), "EC": ("d",), "OKP": ("d",), "oct": ("k",)}


def jwk_private_value(value: str) -> bool:
    """Whether a private member's value (base64url already checked) is key material, not a
    placeholder ("YOUR_PRIVATE_EXPONENT_HERE_xxxxxxxx") or a low-entropy stand-in."""
    return not v.is_placeholder(value) and v.shannon_entropy(value) >= 3.0


def _consider_jwk(text: str, m: re.Match[str], cands: list[_Candidate]) -> None:
    """A flat JSON object (``rules.JWK_RULE``): when it names a ``kty``, each of that key type's
    private members holding base64url is a PRIVATE_KEY finding."""
    start, end = m.span()
    kty = _JWK_KTY.search(text, start, end)
    if kty is None:
        return
    private = JWK_PRIVATE_MEMBERS[kty.group(1)]
    for member in _JWK_MEMBER.finditer(text, start, end):
        if member.group(1) in private and jwk_private_value(member.group(2)):
            cands.append(_Candidate(JWK_RULE.id, JWK_RULE.type, None, member.start(2), member.end(2),
                                    JWK_RULE.priority, JWK_RULE.severity))


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
    if kind is not None and _generic_value_ok(value, kind, key):
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
