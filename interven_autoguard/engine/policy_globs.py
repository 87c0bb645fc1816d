"""Glob matchers for policy rules, compiled once so that matching on the hot path is cheap.

Each kind of pattern has its own dialect because a single ``fnmatch`` cannot serve them all:

* hosts: ``*`` spans any characters including dots (``*.slack.com`` = any sub-domain of
  slack.com, never ``slack.com`` itself nor ``evilslack.com``); ``?`` is one character.
* paths: ``*`` stays inside one segment, ``**`` spans segments, ``/**`` at the end also matches
  the bare prefix. Matching is case-insensitive and runs on a normalised path (see
  :func:`normalize_path`) so ``//repos/./o/r/`` cannot slip past ``/repos/*/*``.
* fields: ``*`` is one key or index (no ``.``, ``[``, ``]``), ``**`` spans anything; a pattern
  also matches everything *inside* the field it names (``body$.to`` covers ``body$.to[0].email``,
  and ``body$.raw`` the header lines of the e-mail it is base64 of, ``body$.raw<mime>.header:To``).
  ``[`` and ``]`` are literal, so ``body$.recipients[*]`` means "any element".
* finding types, agent ids: ``*`` and ``?`` as in ``fnmatch`` (no character classes).

A validator (``*_glob_error``) explains what is wrong with a pattern; compile functions assume
valid input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from .decoding_mime import MIME_MARK

_HOST_CHARS = re.compile(r"^[a-z0-9.*?_\-]+$")
_FIELD_ROOT = re.compile(
    r"\A(?:body(?:\$.*)?|form:.*|multipart:.*|query:.*|header:.*|url(?:\..*)?|\*.*)\Z",
    re.IGNORECASE | re.DOTALL,
)
_IPV6_GLOB = re.compile(r"^(?=.*:.*:|.*[*?])[0-9a-f:.*?]+$")  # "::1", "fd00:ec2::254", "fd00:*"
_TYPE_CHARS = re.compile(r"^[A-Z0-9_*?]+$")


def _translate(pattern: str, star: str, question: str, double_star: str | None = None) -> str:
    """Turn a glob into a regex body: only ``*``, ``**`` and ``?`` are special."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if double_star is not None and i + 1 < n and pattern[i + 1] == "*":
                out.append(double_star)
                i += 2
                continue
            out.append(star)
        elif c == "?":
            out.append(question)
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _common_errors(pattern: object, what: str) -> str | None:
    if not isinstance(pattern, str):
        return f"{what} patterns must be strings, got {type(pattern).__name__}"
    if not pattern:
        return f"empty {what} pattern"
    if any(ch.isspace() for ch in pattern):
        return f"{what} pattern {pattern!r} contains whitespace"
    if "***" in pattern:
        return f"{what} pattern {pattern!r}: '***' is not a valid wildcard (use '*' or '**')"
    return None


# --- hosts -------------------------------------------------------------------------------------


def host_glob_error(pattern: object) -> str | None:
    err = _common_errors(pattern, "host")
    if err:
        return err
    assert isinstance(pattern, str)
    if "://" in pattern or "/" in pattern:
        return f"host pattern {pattern!r} must be a host name, not a URL or path (put paths in 'paths')"
    if "@" in pattern:
        return f"host pattern {pattern!r} must not contain user info"
    if ":" in pattern:
        if _IPV6_GLOB.match(normalize_host_pattern(pattern)):
            return None  # an IPv6 address (or glob over one), with or without brackets
        return f"host pattern {pattern!r} must not contain a port (IPv6 addresses are fine: '::1', 'fd00:*')"
    if not _HOST_CHARS.match(pattern.lower()):
        return f"host pattern {pattern!r} may only contain letters, digits, '.', '-', '_', '*' and '?'"
    if "**" in pattern:
        return f"host pattern {pattern!r}: use a single '*' (it already spans dots)"
    return None


def normalize_host_pattern(pattern: str) -> str:
    """Lower case, no trailing dot, no IPv6 brackets: the form ``DestinationAssessment.host`` has."""
    p = pattern.strip().lower().rstrip(".")
    if p.startswith("[") and p.endswith("]"):
        p = p[1:-1]
    return p


class HostMatcher:
    """Exact names in a set, ``*.suffix`` by ``str.endswith``, anything else by one regex."""

    __slots__ = ("exact", "regex", "suffixes")

    def __init__(self, patterns: Iterable[str]) -> None:
        exact: set[str] = set()
        suffixes: list[str] = []
        regexes: list[str] = []
        for raw in patterns:
            p = normalize_host_pattern(raw)
            if "*" not in p and "?" not in p:
                exact.add(p)
            elif p.startswith("*.") and "*" not in p[1:] and "?" not in p:
                suffixes.append(p[1:])  # keep the dot: "*.slack.com" never matches "slack.com"
            else:
                regexes.append(_translate(p, ".*", "."))
        self.exact = frozenset(exact)
        self.suffixes = tuple(suffixes)
        self.regex = re.compile("(?:" + "|".join(regexes) + r")\Z") if regexes else None

    def __call__(self, host: str) -> bool:
        if host in self.exact:
            return True
        if self.suffixes and host.endswith(self.suffixes):
            return True
        return self.regex is not None and self.regex.match(host) is not None


# --- paths -------------------------------------------------------------------------------------


def path_glob_error(pattern: object) -> str | None:
    err = _common_errors(pattern, "path")
    if err:
        return err
    assert isinstance(pattern, str)
    if not (pattern.startswith("/") or pattern.startswith("*")):
        return f"path pattern {pattern!r} must start with '/' (or a wildcard)"
    if "#" in pattern:
        return f"path pattern {pattern!r} must not contain a fragment"
    return None


def _path_regex(pattern: str) -> str:
    p = pattern
    if len(p) > 1:
        p = p.rstrip("/") or "/"
    tail = ""
    if p.endswith("/**"):
        p, tail = p[:-3], "(?:/.*)?"
    return _translate(p, "[^/]*", "[^/]", ".*") + tail


class PathMatcher:
    __slots__ = ("regex",)

    def __init__(self, patterns: Iterable[str]) -> None:
        body = "|".join(_path_regex(p) for p in patterns)
        self.regex = re.compile("(?:" + body + r")\Z", re.IGNORECASE | re.DOTALL)

    def __call__(self, normalized_path: str) -> bool:
        return self.regex.match(normalized_path) is not None


_PATH_CACHE: dict[str, str] = {}  # agents call the same few endpoints over and over
_PATH_CACHE_MAX = 2048


def normalize_path(path: str) -> str:
    """Canonical form of a request path for matching: decoded, no dot segments, no doubled or
    trailing slashes, no query or fragment. Over-matching is the safe direction for the DENY and
    approval rules that use it, so every ``%XX`` is decoded (``%2F`` included)."""
    done = _PATH_CACHE.get(path)
    if done is None:
        done = _normalize_path(path)
        if len(_PATH_CACHE) >= _PATH_CACHE_MAX:
            _PATH_CACHE.clear()
        _PATH_CACHE[path] = done
    return done


def _normalize_path(path: str) -> str:
    for sep in ("?", "#"):
        cut = path.find(sep)
        if cut >= 0:
            path = path[:cut]
    if "%" in path:
        path = unquote(path)
    parts: list[str] = []
    for seg in path.split("/"):
        # "/v1/payouts;x" reaches the same handler on many servers: match it as "/v1/payouts".
        seg = seg.partition(";")[0]
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts:
                parts.pop()
            continue
        parts.append(seg)
    return "/" + "/".join(parts)


# --- fields ------------------------------------------------------------------------------------


def field_glob_error(pattern: object) -> str | None:
    err = _common_errors(pattern, "field")
    if err:
        return err
    assert isinstance(pattern, str)
    if not _FIELD_ROOT.match(pattern):
        return (
            f"field pattern {pattern!r} must start with 'body' (e.g. 'body$.to'), 'form:', 'multipart:', "
            "'query:', 'header:', 'url' or a wildcard"
        )
    if pattern.count("[") != pattern.count("]"):
        return f"field pattern {pattern!r} has unbalanced brackets"
    return None


class FieldMatcher:
    __slots__ = ("regex",)

    def __init__(self, patterns: Iterable[str]) -> None:
        seg = r"[^.\[\]]"
        body = "|".join(_translate(p, seg + "*", seg, ".*") for p in patterns)
        # A field pattern covers the field and everything nested in it: its keys and elements, and
        # the sub-fields of a field that is base64 of an e-mail (``decoding_mime``).
        inside = r"(?:[.\[$]|" + re.escape(MIME_MARK) + r").*"
        self.regex = re.compile("(?:" + body + r")(?:" + inside + r")?\Z", re.IGNORECASE | re.DOTALL)

    def __call__(self, location: str) -> bool:
        return self.regex.match(location) is not None


# --- finding types and plain names -------------------------------------------------------------


def type_glob_error(pattern: object) -> str | None:
    err = _common_errors(pattern, "finding type")
    if err:
        return err
    assert isinstance(pattern, str)
    if not _TYPE_CHARS.match(pattern.upper()):
        return (
            f"finding type pattern {pattern!r} may only contain letters, digits, '_', '*' and '?' "
            "(e.g. 'AWS_ACCESS_KEY', 'GITHUB_*')"
        )
    return None


def name_glob_error(pattern: object, what: str) -> str | None:
    return _common_errors(pattern, what)


class NameMatcher:
    """``fnmatch``-style ``*``/``?`` over plain names (finding types, agent ids); exact names in a set."""

    __slots__ = ("exact", "regex")

    def __init__(self, patterns: Iterable[str], *, upper: bool = False) -> None:
        exact: set[str] = set()
        regexes: list[str] = []
        for raw in patterns:
            p = raw.upper() if upper else raw
            if "*" in p or "?" in p:
                regexes.append(_translate(p, ".*", "."))
            else:
                exact.add(p)
        self.exact = frozenset(exact)
        self.regex = re.compile("(?:" + "|".join(regexes) + r")\Z", re.DOTALL) if regexes else None

    def __call__(self, name: str) -> bool:
        return name in self.exact or (self.regex is not None and self.regex.match(name) is not None)
