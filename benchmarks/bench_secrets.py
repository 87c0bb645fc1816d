"""Micro-benchmark of the secret detectors (``interven_autoguard.engine.secrets``).

    python benchmarks/bench_secrets.py [--quick]

Prints, for benign bodies of 1 KB and 256 KB: ``may_match`` and ``detect`` cost (best-of-N median,
µs per call and µs per KB), the prefilter back-end in use, the cost of the same work done by
detect-secrets (all default plugins, ``scan_line`` per line), and the ratio. Also: time to compile
the rule tables, and the cost of a body that *does* contain credentials. No network; no timing
assertions — read the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import string
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

WORDS = (
    "the agent called a tool to fetch weather data for the user and summarised the forecast in a short "
    "report with numbers and links the model returned a response with several paragraphs about travel "
    "plans budgets meetings and the customer asked to update the ticket status before the deadline"
).split()


def benign_body(size: int, seed: int = 7) -> str:
    """An LLM-style JSON request: prose, ids, URLs, digests — everything that must *not* fire."""
    rnd = random.Random(seed)

    def prose(n: int) -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(n))

    messages = []
    while len(json.dumps(messages)) < size:
        messages.append({"role": rnd.choice(["user", "assistant"]), "content": prose(rnd.randint(20, 60))})
        messages.append(
            {
                "role": "tool",
                "tool_call_id": "call_" + "".join(rnd.choices(string.ascii_letters + string.digits, k=24)),
                "content": json.dumps(
                    {
                        "url": f"https://api.example.org/v1/items?page={rnd.randint(1, 9)}",
                        "id": "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}".format(
                            *(rnd.getrandbits(b) for b in (32, 16, 12, 12, 48))
                        ),
                        "sha": f"{rnd.getrandbits(160):040x}",
                        "temperature_c": rnd.randint(-5, 35),
                    }
                ),
            }
        )
    body = {"model": "gpt-4o-mini", "max_tokens": 512, "temperature": 0.2, "messages": messages}
    text = json.dumps(body)
    return text[: size - 2] + "]}" if len(text) > size else text


def _timeit(fn: Callable[[], object], min_time: float = 0.2) -> float:
    """Median of 5 runs of the best batch size; µs per call."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time / 5 or n >= 1 << 20:
            break
        n *= 2
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n)
    return statistics.median(runs) * 1e6


def detect_secrets_scan(text: str) -> Callable[[], object]:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    lines = text.splitlines() or [text]

    def run() -> object:
        with default_settings():
            return [list(scan_line(line)) for line in lines]

    return run


def _rss_mb() -> float:
    """Current resident set size (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args()
    min_time = 0.05 if args.quick else 0.3

    ref = _timeit(lambda: sum(range(1000)), min_time)
    print(f"machine calibration: sum(range(1000)) = {ref:.1f} µs (≈10 µs on an idle modern x86 core)")
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    from interven_autoguard.engine import secrets
    from interven_autoguard.engine.secrets import _engine

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    secrets.warm_up()
    t_compile = time.perf_counter() - t0
    first = benign_body(1024)
    t0 = time.perf_counter()
    secrets.detect(first)
    t_first = time.perf_counter() - t0
    print(f"rules: {len(secrets.all_rule_ids())} ids")
    print(
        f"import {t_import * 1e3:.1f} ms, compile (re2 prefilter) {t_compile * 1e3:.1f} ms, "
        f"first detect {t_first * 1e6:.0f} µs"
    )
    print(f"RSS added by import + compile (re2 prefilter): {_rss_mb() - rss0:.1f} MB")

    from interven_autoguard.engine.secrets import _prefilter

    compiled = _engine.compiled()
    backends = [("re2", compiled.prefilter)]
    rss1 = _rss_mb()
    t0 = time.perf_counter()
    fast = _prefilter.build_fast(compiled.exact_expressions)  # what production compiles
    if fast is not None:
        print(
            f"hyperscan prefilter (opt-in): compile {(time.perf_counter() - t0) * 1e3:.0f} ms, "
            f"RSS +{_rss_mb() - rss1:.1f} MB"
        )
        backends.append(("hyperscan", fast))
    else:
        print("hyperscan not available: re2 only")

    for size in (1024, 256 * 1024):
        text = benign_body(size)
        kb = len(text) / 1024
        assert secrets.detect(text) == [], "benign body produced a finding"
        ds = _timeit(detect_secrets_scan(text), min_time if size <= 1024 else 0.05)
        for name, backend in backends:
            compiled.prefilter = backend
            mm = _timeit(lambda text=text: secrets.may_match(text), min_time)
            dt = _timeit(lambda text=text: secrets.detect(text), min_time)
            print(
                f"{kb:4.0f} KB benign [{name:9s}] may_match {mm:8.1f} µs ({mm / kb:5.2f} µs/KB) | detect "
                f"{dt:8.1f} µs ({dt / kb:5.2f} µs/KB) | detect-secrets {ds:10.1f} µs | {ds / dt:6.0f}x faster"
            )
    compiled.prefilter = backends[0][1]

    # A body with credentials: the cost when rules do fire.
    from interven_autoguard.engine.secrets.validators import crc32_base62

    rnd = random.Random(1)
    rand = "".join(rnd.choices(string.ascii_letters + string.digits, k=30))
    token = "ghp_" + rand + crc32_base62(rand)
    leaky = benign_body(1024)[:-200] + json.dumps({"password": "Qx7-vLp2#rT9", "t": token})
    hits = secrets.detect(leaky)
    dt = _timeit(lambda: secrets.detect(leaky), min_time)
    print(f"1 KB with 2 secrets: detect {dt:.1f} µs -> {[h.detector for h in hits]}")
    field = _timeit(lambda: secrets.detect("Qx7-vLp2#rT9", key="password"), min_time)
    print(f"single field with key context: detect {field:.2f} µs")

    # Adversarial bodies (~300 KB): keyword floods that would be quadratic without the guards.
    floods = {
        "eyJ" * 100_000: "JWT prefix flood",
        "glpat-" * 60_000: "token prefix flood",
        "-----BEGIN PRIVATE KEY-----" * 12_000: "key BEGIN lines, no END",
        "password=" * 40_000: "key=value flood",
        "DD_API_KEY=" * 30_000: "context word flood",
        ("AKIA" + "A" * 16 + " ") * 15_000: "AWS key-id flood",
        "PuTTY-User-Key-File-2: " * 13_000: "PuTTY header flood",
    }
    for text, label in floods.items():
        t0 = time.perf_counter()
        secrets.detect(text)
        dt = time.perf_counter() - t0
        kb = len(text) / 1024
        print(f"adversarial {label:26s} {kb:5.0f} KB: {dt * 1e3:7.1f} ms ({dt * 1e6 / kb:6.1f} µs/KB)")


if __name__ == "__main__":
    main()
