"""Compiled rules and the indexes that keep rule matching off the hot path's bill.

``Rule`` is one ``[[rules]]`` or ``[[allow]]`` entry with its globs compiled; ``RuleIndex`` files
rules by method and by exact host or ``*.suffix`` so a request only tries the rules that can apply to
it; ``TypeTable`` resolves per-finding-type settings (exact name, then globs, then category).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..model import Decision, Finding
from .policy_globs import FieldMatcher, HostMatcher, NameMatcher, PathMatcher, normalize_path
from .types import RequestContext

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class Rule:
    """A compiled ``[[rules]]`` or ``[[allow]]`` entry. ``None`` for a match key = matches anything."""

    __slots__ = (
        "agent_ids", "categories", "decision", "description", "fields", "finding_types", "hosts",
        "id", "kind", "methods", "needs_findings", "order", "paths", "ports", "rank", "risk", "schemes",
    )

    def __init__(self, spec: dict[str, Any], kind: str, order: int) -> None:
        self.id: str = spec["id"]
        self.kind = kind  # "rule" | "allow"
        self.order = order
        self.description: str = spec.get("description", "")
        self.decision: Decision = Decision(spec.get("decision", "ALLOW"))
        self.rank = self.decision.rank
        self.risk: float | None = spec.get("risk")
        self.methods = frozenset(spec["methods"]) if "methods" in spec else None
        self.schemes = frozenset(spec["schemes"]) if "schemes" in spec else None
        self.ports = frozenset(spec["ports"]) if "ports" in spec else None
        self.hosts = HostMatcher(spec["hosts"]) if "hosts" in spec else None
        self.paths = PathMatcher(spec["paths"]) if "paths" in spec else None
        self.agent_ids = NameMatcher(spec["agent_ids"]) if "agent_ids" in spec else None
        types = spec.get("finding_types")
        self.finding_types = NameMatcher(types, upper=True) if types is not None else None
        self.categories = frozenset(spec["categories"]) if "categories" in spec else None
        self.fields = FieldMatcher(spec["fields"]) if "fields" in spec else None
        self.needs_findings = any(k in spec for k in ("finding_types", "categories", "fields"))

    def matches_finding(self, f: Finding) -> bool:
        if self.categories is not None and f.category not in self.categories:
            return False
        if self.finding_types is not None and not self.finding_types(f.type.upper()):
            return False
        return self.fields is None or self.fields(f.location)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.id} {self.decision.value if self.kind == 'rule' else 'allow'}>"


class Request:
    """The request facts rules match on, with the normalised path computed only if needed."""

    __slots__ = ("_path", "agent_id", "host", "method", "port", "raw_path", "scheme")

    def __init__(self, ctx: RequestContext, host: str) -> None:
        self.method = ctx.method.upper()
        self.host = host
        self.scheme = (ctx.scheme or "").lower()
        self.port = ctx.port if ctx.port is not None else _DEFAULT_PORTS.get(self.scheme)
        self.raw_path = ctx.path
        self.agent_id = ctx.agent_id
        self._path: str | None = None

    @property
    def path(self) -> str:
        if self._path is None:
            self._path = normalize_path(self.raw_path or "/")
        return self._path

    def matches_rest(self, r: Rule) -> bool:
        """Everything but method and host, which the index has already checked."""
        if r.schemes is not None and self.scheme not in r.schemes:
            return False
        if r.ports is not None and self.port not in r.ports:
            return False
        if r.paths is not None and not r.paths(self.path):
            return False
        return r.agent_ids is None or (self.agent_id is not None and r.agent_ids(self.agent_id))


Bucket = dict[str, tuple[Rule, ...]]  # method (or "*" for any other method) -> rules, policy order


def _bucket(rules: list[Rule]) -> Bucket:
    methods = {m for r in rules if r.methods is not None for m in r.methods}
    bucket = {m: tuple(r for r in rules if r.methods is None or m in r.methods) for m in methods}
    bucket["*"] = tuple(r for r in rules if r.methods is None)
    return bucket


def _pick(bucket: Bucket | None, method: str) -> tuple[Rule, ...]:
    if bucket is None:
        return ()
    found = bucket.get(method)
    return bucket["*"] if found is None else found


class RuleIndex:
    """Find the rules that can apply to a request without trying every rule.

    Rules are filed by method, and those whose host patterns are all exact names or
    ``*.suffix`` also by those names and suffixes (their host is then known to match); only rules
    with other host globs, or without ``hosts``, are tried for every host.
    """

    __slots__ = ("by_host", "by_suffix", "generic", "suffixes")

    def __init__(self, rules: Iterable[Rule]) -> None:
        by_host: dict[str, list[Rule]] = {}
        by_suffix: dict[str, list[Rule]] = {}
        generic: list[Rule] = []
        for r in rules:
            if r.hosts is not None and r.hosts.regex is None:
                for h in r.hosts.exact:
                    by_host.setdefault(h, []).append(r)
                for sfx in r.hosts.suffixes:
                    by_suffix.setdefault(sfx, []).append(r)
            else:
                generic.append(r)
        self.by_host = {h: _bucket(rs) for h, rs in by_host.items()}
        self.by_suffix = {h: _bucket(rs) for h, rs in by_suffix.items()}
        self.suffixes = tuple(by_suffix)
        self.generic = _bucket(generic) if generic else None

    def may_match(self, host: str, method: str) -> bool:
        """Cheap pre-check: False means no rule can match (the hot path)."""
        return bool(
            _pick(self.by_host.get(host), method)
            or _pick(self.generic, method)
            or (self.suffixes and host.endswith(self.suffixes))
        )

    def matching(self, req: Request) -> list[Rule]:
        host, method = req.host, req.method
        found = [r for r in _pick(self.by_host.get(host), method) if req.matches_rest(r)]
        sources = 1 if found else 0
        if self.suffixes and host.endswith(self.suffixes):
            i = host.find(".")
            while i >= 0:
                more = [r for r in _pick(self.by_suffix.get(host[i:]), method) if req.matches_rest(r)]
                if more:
                    found += more
                    sources += 1
                i = host.find(".", i + 1)
        if self.generic is not None:
            more = [r for r in _pick(self.generic, method)
                    if (r.hosts is None or r.hosts(host)) and req.matches_rest(r)]
            if more:
                found += more
                sources += 1
        if sources > 1:  # several buckets: back to policy order, each rule once
            found = sorted(set(found), key=_by_order)
        return found


def _by_order(rule: Rule) -> int:
    return rule.order


class TypeTable:
    """A per-finding-type setting resolved over layers (the user's file first, then the default).

    Within a layer: the exact type name, then the globs in file order, then the layer's value for
    the finding's category (``pii``, or ``secret`` for everything else); the first layer with an
    answer wins.
    """

    def __init__(self, layers: list[dict[str, Any]], convert: Callable[[Any], Any]) -> None:
        self._layers = []
        for layer in layers:
            exact = {k: convert(v) for k, v in layer["types"] if "*" not in k and "?" not in k}
            globs = [(NameMatcher([k], upper=True), convert(v)) for k, v in layer["types"] if k not in exact]
            by_category = {c: convert(layer[c]) for c in ("secret", "pii") if layer.get(c) is not None}
            self._layers.append((exact, globs, by_category))
        self._cache: dict[tuple[str, str], Any] = {}

    def get(self, type_name: str, category: str) -> Any:
        key = (type_name, category)
        found = self._cache.get(key)
        if found is not None:
            return found
        found = self._resolve(type_name.upper(), "pii" if category == "pii" else "secret")
        if len(self._cache) < 4096:  # finding types are a small closed set; stay bounded anyway
            self._cache[key] = found
        return found

    def _resolve(self, t: str, category: str) -> Any:
        for exact, globs, by_category in self._layers:
            value = exact.get(t)
            if value is None:
                value = next((v for m, v in globs if m(t)), None)
            if value is None:
                value = by_category.get(category)
            if value is not None:
                return value
        raise LookupError(f"no value for finding type {t!r}")  # the default layer always has one
