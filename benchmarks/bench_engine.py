"""Embedded engine speed, start-up and memory. Run on demand: ``python benchmarks/bench_engine.py``.

Prints absolute numbers and ratios against baselines measured in the same run (json.loads of the
same body; detect-secrets on the same bodies), because the machines are shared and noisy.
Goals (issue 2): p50 ≤ 30 µs for a 1 KB benign JSON body; ≤ 20 µs/KB at 256 KB; ≥ 40× faster than
detect-secrets; ready ≤ 300 ms after import; ≤ 20 MB RSS added.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

WORDS = (
    "the agent asked for the quarterly report and summarised the customer feedback about shipping "
    "delays in the northern region while the team reviewed pricing tiers for enterprise plans"
).split()


def benign_json(size: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    messages = []
    while len(json.dumps({"model": "gpt-x", "messages": messages})) < size:
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 20)))
        messages.append(
            {"role": rng.choice(("user", "assistant")), "content": text, "id": rng.randint(1, 999)}
        )
    return json.dumps({"model": "gpt-x", "messages": messages}).encode()[: size + 200]


def timeit(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from interven_autoguard import LocalScanner

    scanner = LocalScanner()
    headers = {"Content-Type": "application/json"}
    url = "https://api.openai.com/v1/chat/completions"
    body_1k = benign_json(1024)
    body_256k = benign_json(256 * 1024)
    for _ in range(200):
        scanner.scan(method="POST", url=url, headers=headers, body=body_1k)

    s1 = timeit(lambda: scanner.scan(method="POST", url=url, headers=headers, body=body_1k), 3000)
    j1 = timeit(lambda: json.loads(body_1k), 3000)
    p50 = statistics.median(s1) * 1e6
    print(
        f"1 KB benign JSON: p50 {p50:.1f} µs  p90 {sorted(s1)[int(len(s1) * 0.9)] * 1e6:.1f} µs  "
        f"(json.loads alone {statistics.median(j1) * 1e6:.1f} µs)   goal p50 ≤ 30 µs"
    )

    s256 = timeit(lambda: scanner.scan(method="POST", url=url, headers=headers, body=body_256k), 30)
    per_kb = statistics.median(s256) * 1e6 / (len(body_256k) / 1024)
    print(
        f"256 KB benign JSON: {statistics.median(s256) * 1e3:.2f} ms = {per_kb:.1f} µs/KB   goal ≤ 20 µs/KB"
    )

    try:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings
    except ImportError:
        print("detect-secrets not installed: pip install detect-secrets for the comparison")
    else:
        text_1k = body_1k.decode()
        with default_settings():
            list(scan_line(text_1k))
            d1 = timeit(lambda: list(scan_line(text_1k)), 200)
        ours = statistics.median(s1)
        print(
            f"detect-secrets on the same 1 KB: {statistics.median(d1) * 1e6:.0f} µs  → we are "
            f"{statistics.median(d1) / ours:.0f}× faster   goal ≥ 40×"
        )

    code = textwrap.dedent("""
        import time, resource
        def rss():
            with open('/proc/self/status') as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        return int(line.split()[1]) / 1024
        before = rss(); t = time.perf_counter()
        import interven_autoguard as a
        a.scan(method='POST', url='https://api.example.com/x', body={'text': 'hello'})
        print(time.perf_counter() - t, rss() - before)
    """)
    # As installed by pip: bytecode compiled once (PYTHONDONTWRITEBYTECODE would make every start
    # recompile the sources). First run warms the .pyc files; the median of the next three counts.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    runs = []
    for _ in range(4):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        ).stdout.split()
        runs.append((float(out[0]), float(out[1])))
    seconds = statistics.median(r[0] for r in runs[1:])
    rss_mb = statistics.median(r[1] for r in runs[1:])
    print(
        f"start-up: import + first scan {seconds * 1e3:.0f} ms (goal ≤ 300 ms), "
        f"RSS added {rss_mb:.1f} MB (goal ≤ 20 MB)"
    )


if __name__ == "__main__":
    main()
