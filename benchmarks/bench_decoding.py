"""Speed of the body codecs and the decoding views (numbers for the README, no assertions).

    python benchmarks/bench_decoding.py

Prints the median (p50) and p99 per call in microseconds.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from interven_autoguard.engine.body import parse_body, raw_text
from interven_autoguard.engine.decoding import needs_views, views, views_with_status

PROSE = (
    "Please summarise the following customer conversation and reply politely. The customer wrote: "
    "I ordered the blue jacket last week (order number 48213) and it has not arrived yet, can you "
    "check the status at https://shop.example.com/orders/48213?ref=mail and let me know? Thanks. "
)


def kb_of_prose(kb: int) -> str:
    return (PROSE * (kb * 1024 // len(PROSE) + 1))[: kb * 1024]


def chat_body(kb: int) -> dict:
    messages = []
    while len(json.dumps(messages)) < kb * 1024 - 200:
        messages.append({"role": "user" if len(messages) % 2 == 0 else "assistant", "content": PROSE[:180]})
    return {"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 256, "messages": messages}


def measure(fn: Callable[[], object], min_seconds: float = 0.3) -> tuple[float, float, int]:
    fn()
    samples: list[float] = []
    deadline = time.perf_counter() + min_seconds
    while time.perf_counter() < deadline or len(samples) < 20:
        t0 = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1], len(samples)


def row(name: str, fn: Callable[[], object], size: int | None = None) -> None:
    p50, p99, n = measure(fn)
    per_kb = f"{p50 / (size / 1024):8.2f} µs/KB" if size else ""
    print(f"{name:58} p50 {p50:9.2f} µs   p99 {p99:9.2f} µs  {per_kb}  (n={n})")


def main() -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    prose1 = kb_of_prose(1)
    prose256 = kb_of_prose(256)
    hidden1 = prose1[:600] + " " + base64.b64encode(token.encode()).decode() + " " + prose1[600:900]
    pct1 = prose1[:600] + " key=" + "".join(f"%{b:02X}" for b in token.encode()) + " " + prose1[600:900]
    body1 = chat_body(1)
    text1 = json.dumps(body1)
    bytes1 = text1.encode()
    body256 = chat_body(256)
    bytes256 = json.dumps(body256).encode()
    gz1 = gzip.compress(bytes1)

    print(f"python {sys.version.split()[0]}")
    print("-- decoding")
    row("needs_views, 1 KB prose (with a URL)", lambda: needs_views(prose1), 1024)
    row("needs_views, 1 KB JSON text", lambda: needs_views(text1), 1024)
    row("needs_views, 256 KB prose", lambda: needs_views(prose256), len(prose256))
    row("views, 1 KB prose (nothing hidden)", lambda: views(prose1), 1024)
    row("views, 1 KB prose + base64 token", lambda: views(hidden1), len(hidden1))
    row("views, 1 KB prose + percent token", lambda: views(pct1), len(pct1))
    row("views, 256 KB prose", lambda: views(prose256), len(prose256))
    nonascii = ("Grüße aus Köln, naïve café – " * 40)[:1024]
    row("views, 1 KB accented text (NFKC already)", lambda: views(nonascii), 1024)
    zw = ("zero\u200bwidth ｆｕｌｌ " * 60)[:1024]
    row("views, 1 KB with zero-width + fullwidth", lambda: views(zw), 1024)
    # 256 KB of random bytes, read as a binary upload is (not UTF-8: one character per byte).
    latin1 = random.Random(1).randbytes(256 * 1024).decode("latin-1")
    row(
        "views, 256 KB random bytes read as Latin-1",
        lambda: views_with_status(latin1, budget=4 * len(latin1)),
        len(latin1),
    )
    mb = "%41" * (1024 * 1024 // 3)
    row("views, 1 MB of %41 (adversarial, budget 64 KB)", lambda: views_with_status(mb), len(mb))
    deep = token.encode()
    for _ in range(12):
        deep = base64.b64encode(deep)
    row(f"views, base64^12 ({len(deep)} chars)", lambda: views_with_status(deep.decode()), len(deep))

    print("-- body")
    row("json.loads, 1 KB chat body (reference)", lambda: json.loads(bytes1), len(bytes1))
    row("parse_body, 1 KB chat body as bytes", lambda: parse_body(bytes1, "application/json"), len(bytes1))
    row("parse_body, 1 KB chat body as dict", lambda: parse_body(body1), len(bytes1))
    row("raw_text, 1 KB chat body as bytes", lambda: raw_text(bytes1, "application/json"), len(bytes1))
    row("raw_text, 1 KB chat body as dict", lambda: raw_text(body1), len(bytes1))
    parsed = parse_body(bytes1, "application/json")
    row("rebuild one field, 1 KB bytes body", lambda: parsed.rebuild({3: "[REDACTED:X]"}), len(bytes1))
    parsed_d = parse_body(body1)
    row("rebuild one field, 1 KB dict body", lambda: parsed_d.rebuild({3: "[REDACTED:X]"}), len(bytes1))
    row("parse_body, 1 KB gzip body", lambda: parse_body(gz1, "application/json", "gzip"), len(bytes1))
    row("json.loads, 256 KB chat body (reference)", lambda: json.loads(bytes256), len(bytes256))
    row(
        "parse_body, 256 KB chat body as bytes",
        lambda: parse_body(bytes256, "application/json"),
        len(bytes256),
    )
    row("parse_body, 256 KB chat body as dict", lambda: parse_body(body256), len(bytes256))


if __name__ == "__main__":
    main()
