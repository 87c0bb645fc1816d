"""The policy engine: turns findings and destination facts into one decision.

A policy is TOML (format in ``docs/policy.md``); the default one ships as
``default_policy.toml`` next to this module and user files extend it. ``Policy.evaluate`` is
on every request's path, so all globs are compiled at load time, rules are indexed by exact
host, and a request with nothing found and no rule for its host costs a dict look-up or two.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ..errors import PolicyError
from ..model import Decision, Finding, ReasonCode, RiskBand
from .policy_globs import FieldMatcher, HostMatcher, NameMatcher, PathMatcher, normalize_path
from .policy_schema import Errors, validate
from .types import DestHit, DestinationAssessment, RequestContext

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ENV_VAR = "INTERVEN_POLICY"

_ALLOW, _SANITIZE, _DENY = Decision.ALLOW, Decision.SANITIZE, Decision.DENY
_APPROVAL = Decision.REQUIRE_APPROVAL
_BY_RANK = (_ALLOW, _SANITIZE, _APPROVAL, _DENY)

# Reason codes of equal decision rank are listed in this order (most alarming first).
_CODE_ORDER = {code: i for i, code in enumerate((
    ReasonCode.SSRF_METADATA,
    ReasonCode.CREDENTIAL_HOST_MISMATCH,
    ReasonCode.EXFIL_DESTINATION,
    ReasonCode.SSRF_PRIVATE_NETWORK,
    ReasonCode.INVALID_URL,
    ReasonCode.POLICY_RULE,
    ReasonCode.APPROVAL_REQUIRED,
    ReasonCode.SECRET_DETECTED,
    ReasonCode.PII_DETECTED,
    ReasonCode.BODY_TOO_LARGE,
    ReasonCode.BODY_NOT_INSPECTABLE,
))}

# Destination hit type -> (setting that decides it, or None = always DENY; reason code; risk weight)
_DEST_TABLE: dict[str, tuple[str | None, str, float]] = {
    "CLOUD_METADATA": (None, ReasonCode.SSRF_METADATA, 1.0),
    "LINK_LOCAL": (None, ReasonCode.SSRF_METADATA, 0.95),
    "EXFIL_HOST": ("exfil_destination", ReasonCode.EXFIL_DESTINATION, 0.9),
    "PRIVATE_NETWORK": ("private_network", ReasonCode.SSRF_PRIVATE_NETWORK, 0.5),
    "LOOPBACK": ("private_network", ReasonCode.SSRF_PRIVATE_NETWORK, 0.3),
}
_DENY_FLOOR = 0.9  # anything the destination rules DENY scores at least this
_CREDENTIAL_MISMATCH_RISK = 0.95
_INPUT_RISK = 0.5  # body too large / not inspectable: we could not see what leaves
_RULE_RISK = {_ALLOW: 0.0, _SANITIZE: 0.0, _APPROVAL: 0.6, _DENY: 0.9}  # rules without `risk`


@dataclass(frozen=True)
class Verdict:
    """What the policy decided for one request."""

    decision: Decision
    reason_codes: list[str]  # unique, strongest decision first, then a fixed code order
    matched_rules: list[str]  # ids of rules (and allowances) that fired, in policy order
    findings: list[Finding]  # the findings the decision acts on (to redact when SANITIZE)
    risk_score: float  # 0..1, see docs/policy.md
    allowed_findings: list[Finding] = field(default_factory=list)  # removed by allowances / ALLOW types

    @property
    def risk_band(self) -> RiskBand:
        return RiskBand.for_score(self.risk_score)


class _FrozenList(list):  # type: ignore[type-arg]
    """An empty list that refuses to change, so one ALLOW verdict can be shared by every clean
    request (building a frozen dataclass costs about a microsecond on the hot path)."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("this verdict is shared and immutable; copy the list first")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]


_NOTHING: list[Any] = _FrozenList()
_ALLOW_VERDICT = Verdict(_ALLOW, _NOTHING, _NOTHING, _NOTHING, 0.0, _NOTHING)


class Rule:
    """A compiled ``[[rules]]`` or ``[[allow]]`` entry. ``None`` for a match key = matches anything."""

    __slots__ = (
        "agent_ids", "categories", "decision", "description", "fields", "finding_types", "hosts",
        "id", "kind", "methods", "needs_findings", "order", "paths", "rank", "risk", "schemes",
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


class _Request:
    """The request facts rules match on, with the normalised path computed only if needed."""

    __slots__ = ("_path", "agent_id", "host", "method", "raw_path", "scheme")

    def __init__(self, ctx: RequestContext, host: str) -> None:
        self.method = ctx.method.upper()
        self.host = host
        self.scheme = ctx.scheme
        self.raw_path = ctx.path
        self.agent_id = ctx.agent_id
        self._path: str | None = None

    @property
    def path(self) -> str:
        if self._path is None:
            self._path = normalize_path(self.raw_path or "/")
        return self._path

    def matches(self, r: Rule) -> bool:
        return (r.hosts is None or r.hosts(self.host)) and self.matches_besides_host(r)

    def matches_besides_host(self, r: Rule) -> bool:
        if r.methods is not None and self.method not in r.methods:
            return False
        if r.schemes is not None and (self.scheme or "").lower() not in r.schemes:
            return False
        if r.paths is not None and not r.paths(self.path):
            return False
        return r.agent_ids is None or (self.agent_id is not None and r.agent_ids(self.agent_id))


class _RuleIndex:
    """Find the rules that can apply to a host without trying every rule.

    Rules whose host patterns are all exact names or ``*.suffix`` are filed under those names
    and suffixes (their host is then known to match); only rules with other globs, or without
    ``hosts``, are tried for every request.
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
        self.by_host = {h: tuple(rs) for h, rs in by_host.items()}
        self.by_suffix = {h: tuple(rs) for h, rs in by_suffix.items()}
        self.suffixes = tuple(by_suffix)
        self.generic = tuple(generic)

    def may_match(self, host: str) -> bool:
        return (host in self.by_host or bool(self.generic)
                or (bool(self.suffixes) and host.endswith(self.suffixes)))

    def matching(self, req: _Request) -> list[Rule]:
        host = req.host
        found: list[Rule] = []
        for r in self.by_host.get(host, ()):
            if req.matches_besides_host(r):
                found.append(r)
        sources = 1 if found else 0
        if self.suffixes and host.endswith(self.suffixes):
            i = host.find(".")
            while i >= 0:
                before = len(found)
                for r in self.by_suffix.get(host[i:], ()):
                    if req.matches_besides_host(r):
                        found.append(r)
                sources += len(found) > before
                i = host.find(".", i + 1)
        if self.generic:
            before = len(found)
            for r in self.generic:
                if req.matches(r):
                    found.append(r)
            sources += len(found) > before
        if sources > 1:  # several buckets: back to policy order, each rule once
            found = sorted(set(found), key=_by_order)
        return found


def _by_order(rule: Rule) -> int:
    return rule.order


class _TypeTable:
    """Per finding type value: exact names first, then globs in order, then the category default."""

    def __init__(self, table: dict[str, Any], by_category: dict[str, Any], fallback: Any) -> None:
        self._exact = {k: v for k, v in table.items() if "*" not in k and "?" not in k}
        self._globs = [(NameMatcher([k], upper=True), v) for k, v in table.items() if k not in self._exact]
        self._by_category = by_category
        self._fallback = fallback
        self._cache: dict[tuple[str, str], Any] = {}

    def get(self, type_name: str, category: str) -> Any:
        key = (type_name, category)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        t = type_name.upper()
        value = self._exact.get(t)
        if value is None:
            value = next((v for m, v in self._globs if m(t)), None)
        if value is None:
            value = self._by_category.get(category, self._fallback)
        if len(self._cache) < 4096:  # finding types are a small closed set; stay bounded anyway
            self._cache[key] = value
        return value


class Policy:
    """A loaded, compiled policy. Immutable; share one instance between threads."""

    version: str
    description: str
    source: str
    max_body_bytes: int
    body_too_large: Decision
    not_inspectable: Decision
    private_network: str
    exfil_destination: Decision
    approval_ttl_seconds: int
    rules: tuple[Rule, ...]
    allowances: tuple[Rule, ...]

    def __init__(self, content: dict[str, Any], *, source: str = "<default>") -> None:
        """Build from *normalised, validated* content; use :meth:`load` or :meth:`default`."""
        self._content = content
        self.source = source
        self.description = content.get("description", "")
        self.version = _version_of(content)
        s = content["settings"]
        self.max_body_bytes = s["max_body_bytes"]
        self.body_too_large = Decision(s["body_too_large"])
        self.not_inspectable = Decision(s["not_inspectable"])
        self.private_network = s["private_network"]
        self.exfil_destination = Decision(s["exfil_destination"])
        self.approval_ttl_seconds = s["approval_ttl_seconds"]
        self._decisions = _TypeTable(
            {k: Decision(v) for k, v in s["types"].items()},
            {"pii": Decision(s["pii"])},
            Decision(s["secrets"]),
        )
        risk = content["risk"]
        self._weights = _TypeTable(risk["types"], {"pii": risk["pii"]}, risk["secret"])
        self._dest = {
            t: (_DENY if setting is None else Decision(s[setting]), code, weight)
            for t, (setting, code, weight) in _DEST_TABLE.items()
        }
        self.rules = tuple(Rule(spec, "rule", i) for i, spec in enumerate(content["rules"]))
        offset = len(self.rules)
        self.allowances = tuple(Rule(spec, "allow", offset + i) for i, spec in enumerate(content["allow"]))
        self._request_rules = _RuleIndex(r for r in self.rules if not r.needs_findings)
        self._finding_rules = _RuleIndex(r for r in self.rules if r.needs_findings)
        self._allow_index = _RuleIndex(self.allowances)

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def default(cls) -> Policy:
        return _default_policy()

    @classmethod
    def load(cls, source: str | os.PathLike[str] | Policy | None) -> Policy:
        """``None`` → ``$INTERVEN_POLICY`` or the default; a ``Policy`` → itself; a path → that
        file; a string containing a newline or ``[`` → TOML text. Raises ``PolicyError``."""
        if isinstance(source, Policy):
            return source
        if source is None:
            env = os.environ.get(ENV_VAR, "").strip()
            if not env:
                return cls.default()
            source = env
        if isinstance(source, str) and ("\n" in source or "[" in source):
            return cls.from_text(source)
        if not isinstance(source, (str, os.PathLike)):
            raise PolicyError(f"policy must be a path, TOML text or Policy, got {type(source).__name__}")
        path = os.fspath(source)
        text, errors = _read(path)
        if text is None:
            raise PolicyError(f"cannot load policy {path}: {errors[0][1]}", errors)
        return cls.from_text(text, source=path)

    @classmethod
    def from_text(cls, text: str, *, source: str = "<text>") -> Policy:
        content, errors = _compile_text(text)
        if errors or content is None:
            raise PolicyError(_error_summary(source, errors), errors)
        return cls(content, source=source)

    def to_dict(self) -> dict[str, Any]:
        """The effective policy (defaults merged in) as plain data, e.g. for ``policy show``."""
        return json.loads(json.dumps(self._content))

    def __repr__(self) -> str:
        return (f"<Policy {self.version} from {self.source}: {len(self.rules)} rules, "
                f"{len(self.allowances)} allowances>")

    # --- decisions -------------------------------------------------------------------------

    def decision_for(self, finding_type: str, category: str) -> Decision:
        """The default decision (from ``[settings]``) for one finding, before any rule."""
        return self._decisions.get(finding_type, category)

    def evaluate(
        self,
        ctx: RequestContext,
        findings: Sequence[Finding],
        destination: DestinationAssessment,
        *,
        auth_mismatch: bool = False,
        body_too_large: bool = False,
        not_inspectable: bool = False,
    ) -> Verdict:
        host = destination.host or (ctx.host or "").lower().rstrip(".")
        if not (findings or destination.hits or auth_mismatch or body_too_large or not_inspectable):
            # The hot path: most requests carry nothing and match no rule for their host.
            if not self._request_rules.may_match(host):
                return _ALLOW_VERDICT
        req = _Request(ctx, host)
        request_rules = self._request_rules.matching(req)
        if not (findings or destination.hits or auth_mismatch or body_too_large or not_inspectable
                or request_rules):
            return _ALLOW_VERDICT
        return _Evaluation(self, req, request_rules).run(
            findings, destination.hits, auth_mismatch, body_too_large, not_inspectable
        )


class _Evaluation:
    """Accumulates decisions, reason codes, risk parts and fired rules for one request."""

    def __init__(self, policy: Policy, req: _Request, request_rules: list[Rule]) -> None:
        self.p = policy
        self.req = req
        self.request_rules = request_rules
        self.rank = 0
        self.codes: dict[str, int] = {}
        self.risks: list[float] = []
        self.fired: dict[str, int] = {}

    def add(self, decision: Decision, code: str, risk: float) -> None:
        r = decision.rank
        if r == 0:
            return  # an ALLOWed condition is neither a reason nor a risk
        self.rank = max(self.rank, r)
        if self.codes.get(code, -1) < r:
            self.codes[code] = r
        if risk > 0:
            self.risks.append(risk)

    def fire(self, rule: Rule) -> None:
        self.fired[rule.id] = rule.order

    def run(
        self,
        findings: Sequence[Finding],
        hits: Sequence[DestHit],
        auth_mismatch: bool,
        body_too_large: bool,
        not_inspectable: bool,
    ) -> Verdict:
        p = self.p
        for hit in hits:
            self._destination(hit)
        if auth_mismatch:
            self.add(_DENY, ReasonCode.CREDENTIAL_HOST_MISMATCH, _CREDENTIAL_MISMATCH_RISK)
        if body_too_large:
            self.add(p.body_too_large, ReasonCode.BODY_TOO_LARGE, _INPUT_RISK)
        if not_inspectable:
            self.add(p.not_inspectable, ReasonCode.BODY_NOT_INSPECTABLE, _INPUT_RISK)
        acted, allowed = self._findings(findings) if findings else ([], [])
        for rule in self.request_rules:
            self.fire(rule)
            if rule.decision is _SANITIZE and not acted:
                continue  # nothing to sanitise: the rule matched but changes nothing
            self._rule_contribution(rule)
        codes = sorted(self.codes, key=lambda c: (-self.codes[c], _CODE_ORDER.get(c, len(_CODE_ORDER)), c))
        matched = sorted(self.fired, key=self.fired.__getitem__)
        return Verdict(_BY_RANK[self.rank], codes, matched, acted, _combine(self.risks), allowed)

    def _destination(self, hit: DestHit) -> None:
        known = self.p._dest.get(hit.type)
        if known is not None:
            decision, code, weight = known
        else:
            code, weight = hit.reason_code, hit.severity
            try:
                decision = Decision(str(hit.decision).upper())
            except ValueError:
                decision = _DENY  # a hit we cannot read is a hit we do not wave through
        if code == ReasonCode.SSRF_METADATA:
            decision = _DENY  # metadata endpoints are never negotiable
        if decision is _DENY:
            weight = max(weight, _DENY_FLOOR)
        self.add(decision, code, weight)

    def _rule_contribution(self, rule: Rule) -> None:
        risk = rule.risk if rule.risk is not None else _RULE_RISK[rule.decision]
        self.add(rule.decision, ReasonCode.POLICY_RULE, risk)
        if rule.decision is _APPROVAL:
            self.add(rule.decision, ReasonCode.APPROVAL_REQUIRED, 0.0)

    def _findings(self, findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
        p, req = self.p, self.req
        allowed: list[Finding] = []
        kept: list[Finding] = []
        allowances = p._allow_index.matching(req) if p.allowances else []
        for f in findings:
            a = next((a for a in allowances if a.matches_finding(f)), None)
            if a is None:
                kept.append(f)
            else:
                allowed.append(f)
                self.fire(a)
        if not kept:
            return [], allowed
        ranks = [p._decisions.get(f.type, f.category).rank for f in kept]
        if any(r.decision is _SANITIZE for r in self.request_rules):
            ranks = [max(r, 1) for r in ranks]
        for rule in p._finding_rules.matching(req) if p.rules else ():
            hit = False
            for i, f in enumerate(kept):
                if rule.matches_finding(f):
                    hit = True
                    if rule.rank > ranks[i]:
                        ranks[i] = rule.rank
            if hit:
                self.fire(rule)
                self._rule_contribution(rule)
        acted: list[Finding] = []
        weights: dict[str, float] = {}
        for f, rank in zip(kept, ranks):
            if rank == 0:
                allowed.append(f)
                continue
            acted.append(f)
            code = ReasonCode.PII_DETECTED if f.category == "pii" else ReasonCode.SECRET_DETECTED
            self.add(_BY_RANK[rank], code, 0.0)
            w = float(p._weights.get(f.type, f.category))
            if w > weights.get(f.type, 0.0):
                weights[f.type] = w
        # One weight per finding *type*: ten e-mail addresses are not ten times the risk of one.
        self.risks.extend(weights.values())
        return acted, allowed


def _combine(parts: Iterable[float]) -> float:
    remaining = 1.0
    for s in parts:
        remaining *= 1.0 - min(max(s, 0.0), 1.0)
    return round(min(1.0, 1.0 - remaining), 4)


# --- loading helpers ---------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def _parse(text: str) -> tuple[dict[str, Any] | None, Errors]:
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POSITION.search(msg)
        line = int(m.group(1)) if m else getattr(exc, "lineno", None)
        return None, [(line, "TOML syntax error: " + _TOML_POSITION.sub("", msg).strip())]


@lru_cache(maxsize=1)
def _default_content() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("default_policy.toml").read_text(encoding="utf-8")
    doc, errors = _parse(text)
    if doc is None or errors:
        raise PolicyError(_error_summary("default_policy.toml", errors), errors)
    content, errors = validate(doc, text)
    if errors:
        raise PolicyError(_error_summary("default_policy.toml", errors), errors)
    content["description"] = doc.get("description", "")
    return _finalise(content)


def _finalise(content: dict[str, Any]) -> dict[str, Any]:
    """The effective content: no inheritance bookkeeping, every optional table present."""
    out = {
        "description": content.get("description", ""),
        "settings": dict(content["settings"]),
        "risk": {"secret": 0.0, "pii": 0.0, "types": {}, **content["risk"]},
        "rules": content["rules"],
        "allow": content["allow"],
    }
    out["settings"].setdefault("types", {})
    return out


@lru_cache(maxsize=1)
def _default_policy() -> Policy:
    return Policy(_default_content(), source="<default>")


def _base_ids() -> frozenset[str]:
    base = _default_content()
    return frozenset(e["id"] for e in (*base["rules"], *base["allow"]))


def _compile_text(text: str) -> tuple[dict[str, Any] | None, Errors]:
    doc, errors = _parse(text)
    if doc is None:
        return None, errors
    content, errors = validate(doc, text, _base_ids())
    if errors:
        return None, errors
    if isinstance(doc.get("description"), str):
        content["description"] = doc["description"]
    return _merge(_default_content(), content), []


def _merge(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Settings and risk weights always inherit from the default (the single source of defaults);
    rules and allowances inherit only with ``extends = "default"``, minus ``disable``, and a user
    entry with an inherited id replaces it in place."""
    settings = {**base["settings"], **{k: v for k, v in user["settings"].items() if k != "types"}}
    settings["types"] = _merge_types(base["settings"]["types"], user["settings"].get("types", {}))
    risk = {**base["risk"], **{k: v for k, v in user["risk"].items() if k != "types"}}
    risk["types"] = _merge_types(base["risk"]["types"], user["risk"].get("types", {}))
    merged: dict[str, Any] = {"settings": settings, "risk": risk}
    for table in ("rules", "allow"):
        if user["extends"] == "none":
            merged[table] = list(user[table])
            continue
        mine = {e["id"]: e for e in user[table]}
        entries = [mine.pop(e["id"], e) for e in base[table] if e["id"] not in user["disable"]]
        merged[table] = entries + [e for e in user[table] if e["id"] in mine]
    merged["description"] = user.get("description", "")
    return _finalise(merged)


def _merge_types(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    # User entries first: among globs the first match wins, so the user's globs take precedence.
    out = dict(user)
    for k, v in base.items():
        out.setdefault(k, v)
    return out


def _version_of(content: dict[str, Any]) -> str:
    payload = {k: v for k, v in content.items() if k != "description"}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def _read(path: str) -> tuple[str | None, Errors]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(), []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return None, [(None, f"cannot read {path}: {reason}")]


def _error_summary(source: str, errors: Errors) -> str:
    shown = "; ".join(f"line {ln}: {msg}" if ln else msg for ln, msg in errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"invalid policy {source}: {shown}{more}"


# --- checking (``python -m interven_autoguard policy check FILE``) -----------------------------


def check_text(text: str) -> list[tuple[int | None, str]]:
    """Every problem in a policy text as ``(line, message)``; ``[]`` when it is valid."""
    return _compile_text(text)[1]


def check_file(path: str | os.PathLike[str]) -> list[tuple[int | None, str]]:
    text, errors = _read(os.fspath(path))
    return errors if text is None else check_text(text)


def format_errors(path: str, errors: Sequence[tuple[int | None, str]]) -> str:
    """``FILE:LINE: message`` lines, the form editors and CI logs link to."""
    return "\n".join(f"{path}:{ln}: {msg}" if ln else f"{path}: {msg}" for ln, msg in errors)
