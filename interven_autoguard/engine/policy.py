"""The policy engine: turns findings and destination facts into one decision.

A policy is TOML (format in ``docs/policy.md``); the default one ships as
``default_policy.toml`` next to this module and user files extend it. ``Policy.evaluate`` is
on every request's path, so all globs are compiled at load time, rules are indexed by exact
host, and a request with nothing found and no rule for its host costs a dict look-up or two.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..errors import PolicyError
from ..model import Decision, Finding, ReasonCode, RiskBand
from .policy_load import compile_text, default_content, error_summary, looks_like_toml, read, version_of
from .policy_rules import Request, Rule, RuleIndex, TypeTable
from .secrets.providers import Bindings, relay_bindings
from .types import DestHit, DestinationAssessment, RequestContext

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
        self.version = version_of(content)
        s = content["settings"]
        self.max_body_bytes = s["max_body_bytes"]
        self.body_too_large = Decision(s["body_too_large"])
        self.not_inspectable = Decision(s["not_inspectable"])
        self.private_network = s["private_network"]
        self.exfil_destination = Decision(s["exfil_destination"])
        self.approval_ttl_seconds = s["approval_ttl_seconds"]
        # Hosts credentials of these providers may also go to (LLM gateways, proxies): hashable.
        # The vector-database key relays the policy turns off or restricts ride along (``relay:…``).
        self.bindings: Bindings = tuple(
            (provider, tuple(hosts)) for provider, hosts in sorted(content.get("bindings", {}).items())
        ) + relay_bindings(s.get("key_relays", {}))
        self._decisions = TypeTable(content["decisions"], Decision)
        self._weights = TypeTable(content["risk"], float)
        self._dest = {
            t: (_DENY if setting is None else Decision(s[setting]), code, weight)
            for t, (setting, code, weight) in _DEST_TABLE.items()
        }
        self.rules = tuple(Rule(spec, "rule", i) for i, spec in enumerate(content["rules"]))
        offset = len(self.rules)
        self.allowances = tuple(Rule(spec, "allow", offset + i) for i, spec in enumerate(content["allow"]))
        self._request_rules = RuleIndex(r for r in self.rules if not r.needs_findings)
        self._finding_rules = RuleIndex(r for r in self.rules if r.needs_findings)
        self._allow_index = RuleIndex(self.allowances)

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
        if isinstance(source, str) and looks_like_toml(source):
            return cls.from_text(source)
        if not isinstance(source, (str, os.PathLike)):
            raise PolicyError(f"policy must be a path, TOML text or Policy, got {type(source).__name__}")
        path = os.fspath(source)
        text, errors = read(path)
        if text is None:
            raise PolicyError(f"cannot load policy {path}: {errors[0][1]}", errors)
        return cls.from_text(text, source=path)

    @classmethod
    def from_text(cls, text: str, *, source: str = "<text>") -> Policy:
        content, errors = compile_text(text)
        if errors or content is None:
            raise PolicyError(error_summary(source, errors), errors)
        return cls(content, source=source)

    def get(self, entry_id: str) -> Rule | None:
        """The rule or allowance with this id (e.g. to show an approver why a rule fired)."""
        return next((r for r in (*self.rules, *self.allowances) if r.id == entry_id), None)

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
            method = ctx.method if ctx.method.isupper() else ctx.method.upper()
            if not self._request_rules.may_match(host, method):
                return _ALLOW_VERDICT
        req = Request(ctx, host)
        request_rules = self._request_rules.matching(req)
        if not (findings or destination.hits or auth_mismatch or body_too_large or not_inspectable
                or request_rules):
            return _ALLOW_VERDICT
        return _Evaluation(self, req, request_rules).run(
            findings, destination.hits, auth_mismatch, body_too_large, not_inspectable
        )


class _Evaluation:
    """Accumulates decisions, reason codes, risk parts and fired rules for one request."""

    def __init__(self, policy: Policy, req: Request, request_rules: list[Rule]) -> None:
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


@lru_cache(maxsize=1)
def _default_policy() -> Policy:
    return Policy(default_content(), source="<default>")


# --- checking (``python -m interven_autoguard policy check FILE``) -----------------------------


def check_text(text: str) -> list[tuple[int | None, str]]:
    """Every problem in a policy text as ``(line, message)``; ``[]`` when it is valid."""
    return compile_text(text)[1]


def check_file(path: str | os.PathLike[str]) -> list[tuple[int | None, str]]:
    text, errors = read(os.fspath(path))
    return errors if text is None else check_text(text)


def format_errors(path: str, errors: Sequence[tuple[int | None, str]]) -> str:
    """``FILE:LINE: message`` lines, the form editors and CI logs link to."""
    return "\n".join(f"{path}:{ln}: {msg}" if ln else f"{path}: {msg}" for ln, msg in errors)
