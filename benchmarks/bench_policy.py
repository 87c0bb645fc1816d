"""How much Policy.evaluate adds to a request: ``python benchmarks/bench_policy.py``.

Measures the default policy on the shapes that dominate real traffic: a clean request to a host
no rule mentions (the hot path), a clean request to a host with rules (GitHub), a request an
approval rule matches, and one with findings and an allowance. Prints median µs per call.
No network: everything is built in memory.
"""

from __future__ import annotations

import os
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from interven_autoguard.engine.policy import Policy
from interven_autoguard.engine.types import DestinationAssessment, RequestContext
from interven_autoguard.model import Finding


def _request(method: str, url: str) -> tuple[RequestContext, DestinationAssessment]:
    p = urlsplit(url)
    host = p.hostname or ""
    ctx = RequestContext(method=method, url=url, scheme=p.scheme, host=host, port=p.port, path=p.path or "/")
    return ctx, DestinationAssessment(scheme=p.scheme, host=host, port=p.port, ip=None)


def _finding(type_: str, category: str, location: str) -> Finding:
    return Finding(type=type_, detector=type_.lower(), category=category, location=location, start=0, end=8)


CASES = [
    ("clean, no rule for host", "POST", "http://127.0.0.1:8080/v1/chat", []),
    ("clean, host with rules", "POST", "https://api.github.com/repos/o/r/issues", []),
    ("clean, *.suffix rule", "POST", "https://hooks.slack.com/services/T0/B0/x", []),
    ("approval rule fires", "PUT", "https://api.github.com/repos/o/r/collaborators/eve", []),
    (
        "findings + allowance",
        "POST",
        "https://api.sendgrid.com/v3/mail/send",
        [
            _finding("EMAIL", "pii", "body$.personalizations[0].to[0].email"),
            _finding("EMAIL", "pii", "body$.content[0].value"),
            _finding("AWS_ACCESS_KEY", "secret", "body$.content[0].value"),
        ],
    ),
]


def bench(policy: Policy, method: str, url: str, findings: list[Finding], rounds: int = 7, n: int = 20000
          ) -> float:
    ctx, dest = _request(method, url)
    evaluate = policy.evaluate
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            evaluate(ctx, findings, dest)
        samples.append((time.perf_counter() - start) / n * 1e6)
    return min(samples)


def main() -> None:
    t0 = time.perf_counter()
    policy = Policy.default()
    load_ms = (time.perf_counter() - t0) * 1e3
    print(f"default policy {policy.version}: {len(policy.rules)} rules, {len(policy.allowances)} allowances, "
          f"loaded in {load_ms:.1f} ms")
    for name, method, url, findings in CASES:
        ctx, dest = _request(method, url)
        verdict = policy.evaluate(ctx, findings, dest)
        print(f"  {name:28s} {bench(policy, method, url, findings):7.2f} µs   -> {verdict.decision}")


if __name__ == "__main__":
    main()
