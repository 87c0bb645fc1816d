"""Cost of the PII detectors and the destination analysis on benign and PII-bearing payloads.

Run: ``python benchmarks/bench_pii.py`` from the repository root. Prints µs per call (min, p50 and
mean over many runs) for ``pii.may_match`` / ``pii.detect`` on 1 KB and 256 KB texts, and for
``destinations.assess`` / ``redact_url`` on typical URLs. No network: everything is in-process.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import timeit
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from interven_autoguard.engine import destinations, pii


def benign_json(size: int) -> str:
    """Chat-completion-like JSON with the usual suspects: UUIDs, timestamps, versions, prices, SHAs."""
    record = {
        "id": "chatcmpl-a8f5f167-0e1c-4d3b-9a2b-7c1d2e3f4a5b",
        "created": 1700000000,
        "ts": "2024-01-15T12:30:45.123Z",
        "model": "gpt-4o-2024-08-06",
        "version": "10.0.19041.1",
        "sha": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "price": 1234.56,
        "role": "user",
        "content": "Please summarise the quarterly report for the board: revenue grew 12% year over year, "
        "operating costs stayed flat and the team shipped 3 major releases.",
    }
    items = []
    while len(json.dumps({"messages": items})) < size:
        items.append(dict(record, n=len(items)))
    return json.dumps({"messages": items})[:size]


def benign_prose(size: int) -> str:
    words = (
        "the agent fetched the page and summarised the findings for the user before calling the next "
        "tool with a short list of follow up questions about pricing and availability "
    )
    return (words * (size // len(words) + 1))[:size]


def pii_text(size: int) -> str:
    chunk = (
        "Customer SSN 478-23-9156, card 4111 1111 1111 1111, email john@acme.com, "
        "IBAN DE89 3704 0044 0532 0130 00, phone +44 20 7946 0958. "
    )
    return (chunk * (size // len(chunk) + 1))[:size]


def measure(fn: Callable[[], object], budget_s: float = 0.4) -> tuple[float, float, float]:
    """(min, p50, mean) in µs per call, over batches calibrated to take roughly 1 ms each.

    On a shared machine the minimum is the stable number (the cost when nothing else runs);
    p50 and mean show how much the neighbours added.
    """
    fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    batch = max(1, int(0.001 / once))
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while time.perf_counter() < deadline or len(samples) < 5:
        t0 = time.perf_counter_ns()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter_ns() - t0) / batch / 1000)
    return min(samples), statistics.median(samples), statistics.fmean(samples)


def row(label: str, fn: Callable[[], object], kb: float | None = None) -> None:
    low, p50, mean = measure(fn)
    per_kb = f"  ({low / kb:8.2f} µs/KB at min)" if kb else ""
    print(f"{label:48s} min {low:10.2f}  p50 {p50:10.2f}  mean {mean:10.2f} µs{per_kb}")


def string_leaves(value: object, key: str | None = None) -> list[tuple[str | None, str]]:
    """(key, text) for every string/number leaf of parsed JSON, as the engine's walker sees them."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in string_leaves(v, k)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in string_leaves(v, key)]
    return [(key, value if isinstance(value, str) else json.dumps(value))]


def per_leaf(leaves: list[tuple[str | None, str]]) -> int:
    """Triage each leaf, detect only where triage says so: how a scanner calls this module."""
    found = 0
    for key, text in leaves:
        if pii.may_match(text):
            found += len(pii.detect(text, key))
    return found


def _identity(x: int) -> int:
    return x


def calibration_ns() -> float:
    """ns per trivial Python call on this machine right now, to scale the numbers below."""
    return min(timeit.repeat("f(1)", globals={"f": _identity}, number=200_000, repeat=5)) / 200_000 * 1e9


def main() -> None:
    call_ns = calibration_ns()
    print(f"python {sys.version.split()[0]}; a trivial call takes {call_ns:.0f} ns here (idle laptop: ~40)")
    for size in (1024, 256 * 1024):
        body = benign_json(size + 64)
        doc = json.loads(body[: body.rfind("}, {")] + "}]}")
        leaves = string_leaves(doc)
        kb = len(json.dumps(doc)) / 1024
        row(f"per-leaf triage+detect {kb:.0f} KB benign JSON", lambda lv=leaves: per_leaf(lv), kb)
    print()
    for size in (1024, 256 * 1024):
        kb = size / 1024
        for name, text in (
            ("benign JSON", benign_json(size)),
            ("benign prose", benign_prose(size)),
            ("PII-dense text", pii_text(size)),
        ):
            label = f"{int(kb)} KB {name}"
            row(f"may_match  {label}", lambda t=text: pii.may_match(t), kb)
            row(f"detect     {label}", lambda t=text: pii.detect(t), kb)
        print()
    urls = {
        "public https": "https://api.openai.com/v1/chat/completions",
        "metadata (octal)": "http://0251.0376.0251.0376/latest/meta-data/",
        "userinfo trick": "http://good.com@169.254.169.254/",
        "exfil host": "https://abc.m.pipedream.net/x",
    }
    for name, url in urls.items():
        row(f"assess     {name}", lambda u=url: destinations.assess(u))
    row("redact_url signed S3 URL", lambda: destinations.redact_url(
        "https://u:p@s3.amazonaws.com/b/k?X-Amz-Signature=abc&X-Amz-Date=1&x=2"
    ))  # fmt: skip


if __name__ == "__main__":
    main()
