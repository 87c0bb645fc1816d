"""Cost of bodies made of numbers: vector-DB upserts, embeddings, metric series (JSON), and numbers
in plain text: CSV uploads with float columns, space-separated floats, a numeric table in a prompt.

Run: ``python benchmarks/bench_numbers.py`` from the repository root. Prints seconds per MB of
``scan()`` for each body (best of a few runs, wall clock and this process's CPU time: the machines
are shared and noisy, and CPU time moves less with the load), next to a prose body of about the
same size. No network: everything is in-process.

Goal (audit 4, S1): numeric bodies well under 0.2 s/MB (they took 1.5–2.6 s/MB); numeric text at
least 5× faster than its ~0.6–1 s/MB.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from interven_autoguard import LocalScanner

R = random.Random(7)
WORDS = "the agent retrieved documents about quarterly revenue growth and churn".split()


def _uuid() -> str:
    return str(uuid.UUID(int=R.getrandbits(128), version=4))


def _vectors(n: int, dim: int) -> list[list[float]]:
    return [[round(R.gauss(0, 0.05), 8) for _ in range(dim)] for _ in range(n)]


def _csv(rows: int) -> str:
    lines = ["id,x,y,z,score,price"]
    for i in range(rows):
        lines.append(f"{i},{R.gauss(0, 1):.6f},{R.gauss(0, 1):.8f},{R.uniform(0, 1):.10f},"
                     f"{R.random():.4f},{R.uniform(1, 1000):.2f}")
    return "\n".join(lines)


def _csv_comma_decimals(rows: int) -> str:
    lines = ["datum;wert;anteil;preis"]
    for i in range(rows):
        cells = [f"{R.gauss(0, 1):.6f}", f"{R.uniform(0, 1):.9f}", f"{R.uniform(1, 1000):.2f}"]
        lines.append(f"2024-01-{i % 28 + 1:02d};" + ";".join(c.replace(".", ",") for c in cells))
    return "\n".join(lines)


def text_bodies() -> list[tuple[str, str, dict[str, str], Any]]:
    """Numbers in plain text (one field each: the PII detector reads them as one text)."""
    csv_headers = {"Content-Type": "text/csv"}
    floats = [round(R.gauss(0, 0.05), 8) for _ in range(100000)]
    return [
        ("CSV, 6 float columns x 20000 rows", "https://api.example-data.com/v1/upload", csv_headers,
         _csv(20000)),
        ("CSV ';' with ',' decimals x 25000 rows", "https://api.example-data.com/v1/upload", csv_headers,
         _csv_comma_decimals(25000)),
        ("space-separated floats '%.8f' x 100000", "https://api.example-data.com/v1/upload",
         {"Content-Type": "text/plain"}, " ".join(f"{v:.8f}" for v in floats)),
        ("floats as repr(), one per line x 60000", "https://api.example-data.com/v1/upload",
         {"Content-Type": "text/plain"}, "\n".join(repr(R.gauss(0, 1)) for _ in range(60000))),
        ("CSV table pasted in a chat message", "https://api.openai.com/v1/chat/completions",
         {"Content-Type": "application/json"},
         json.dumps({"messages": [{"role": "user", "content": "Summarise:\n" + _csv(20000)}]})),
    ]


def bodies() -> list[tuple[str, str, dict[str, str], Any]]:
    """(label, url, headers, body): text bodies as the SDKs send them, and one dict body."""
    vecs = _vectors(100, 1536)
    ids = [_uuid() for _ in vecs]
    json_headers = {"Content-Type": "application/json"}
    pinecone = {
        "vectors": [{"id": i, "values": v, "metadata": {"doc": f"doc-{n}", "chunk": n}}
                    for n, (i, v) in enumerate(zip(ids, vecs))],
        "namespace": "kb",
    }
    qdrant = {"points": [{"id": i, "vector": v, "payload": {"doc_id": f"doc-{n}"}}
                         for n, (i, v) in enumerate(zip(ids, vecs))]}
    chroma = {"ids": ids, "embeddings": vecs, "documents": [f"chunk {n} of the handbook" for n in range(100)]}
    weaviate = {"objects": [{"class": "Doc", "id": i, "vector": v, "properties": {"title": f"doc {n}"}}
                            for n, (i, v) in enumerate(zip(ids, vecs))]}
    embeddings = {
        "object": "list",
        "data": [{"object": "embedding", "index": n, "embedding": v} for n, v in enumerate(vecs)],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8123, "total_tokens": 8123},
    }
    series = {"series": [{"metric": "agent.tokens", "type": 1,
                          "points": [{"timestamp": 1726567512 + i, "value": R.randint(10**9, 10**10)}
                                     for i in range(1000)]} for _ in range(20)]}
    pairs = {"series": [{"metric": "agent.latency", "points": [[1726567512 + i, R.randint(10**9, 10**10)]
                                                               for i in range(1000)]} for _ in range(20)]}
    chat = {"messages": [{"role": "user", "content": str(vecs)}]}
    prose = {"messages": [{"role": "user", "content": " ".join(R.choice(WORDS) for _ in range(330000))}]}
    return [
        ("Pinecone upsert 100 x 1536 floats", "https://kb-3f9a1c0.svc.aped-4627-b74a.pinecone.io/vectors/upsert",
         json_headers, json.dumps(pinecone)),
        ("Qdrant upsert (dict body)", "https://xyz.eu-central.aws.cloud.qdrant.io:6333/collections/kb/points",
         json_headers, qdrant),
        ("Chroma add", "http://127.0.0.1:8000/api/v1/collections/kb/add", json_headers, json.dumps(chroma)),
        ("Weaviate batch objects", "https://kb.weaviate.network/v1/batch/objects", json_headers,
         json.dumps(weaviate)),
        ("OpenAI embeddings response echoed", "https://api.example-rag.com/v1/ingest", json_headers,
         json.dumps(embeddings)),
        ("Datadog series 20 x 1000 {timestamp, value}", "https://api.datadoghq.com/api/v2/series",
         json_headers, json.dumps(series)),
        ("metric pairs 20 x 1000 [epoch, int]", "https://api.datadoghq.com/api/v1/series", json_headers,
         json.dumps(pairs)),
        ("floats as a '[...]' string in a chat message", "https://api.openai.com/v1/chat/completions",
         json_headers, json.dumps(chat)),
        ("control: 2 MB of prose in a chat message", "https://api.openai.com/v1/chat/completions",
         json_headers, json.dumps(prose)),
    ]


def main() -> None:
    scanner = LocalScanner()
    scanner.scan(method="POST", url="https://x.example.com/", body="warm up")
    for label, url, headers, body in bodies() + text_bodies():
        size = len(body if isinstance(body, str) else json.dumps(body)) / 1e6
        best = cpu = float("inf")
        decision = ""
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            result = scanner.scan(method="POST", url=url, headers=headers, body=body)
            best = min(best, time.perf_counter() - t)
            cpu = min(cpu, time.process_time() - c)
            decision = str(result.decision)
        print(f"{label:<48} {size:5.2f} MB  {best:6.3f} s  {best / size:6.3f} s/MB  "
              f"(CPU {cpu / size:6.3f} s/MB)  {decision}")


if __name__ == "__main__":
    main()
