"""How soon a waiting agent wakes after another process decides (goal: ≤ 1 s).

    python benchmarks/approvals_wake.py [ROUNDS]

Each round: a child process waits in ``wait_for_release``; this process approves through the
store; the child reports when it woke. Latency = wake time − the decision's ``decided_at``.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interven_autoguard.approvals.store import SQLiteApprovalStore  # noqa: E402

WAITER = """
import json, sys, time
from interven_autoguard.approvals.store import SQLiteApprovalStore, wait_for_release
store = SQLiteApprovalStore(sys.argv[1])
print("ready", flush=True)
outcome = wait_for_release(store, sys.argv[2], request_hash=sys.argv[3], policy_version="v1", timeout=60)
print(json.dumps({"outcome": outcome, "woke_at": time.time()}), flush=True)
"""


def main(rounds: int) -> None:
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "approvals.sqlite3")
        store = SQLiteApprovalStore(db)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for i in range(rounds):
            h = hashlib.sha256(str(i).encode()).hexdigest()
            rec = store.create(
                method="POST",
                url="http://127.0.0.1:9/payouts",
                request_display={},
                request_hash=h,
                policy_version="v1",
                reason_codes=[],
                risk_score=0.5,
                risk_band="MEDIUM",
                agent_id=None,
                process=None,
                ttl_seconds=600,
            )
            child = subprocess.Popen(
                [sys.executable, "-c", WAITER, db, rec.id, h], env=env, stdout=subprocess.PIPE, text=True
            )
            assert child.stdout.readline().strip() == "ready"
            decided = store.decide(rec.id, approve=True, decided_by="bench", reason=None)
            result = json.loads(child.stdout.readline())
            child.wait()
            assert result["outcome"] == "approved", result
            latencies.append(result["woke_at"] - decided.decided_at)
    ms = sorted(x * 1000 for x in latencies)
    print(
        f"rounds={rounds} wake latency ms: median={statistics.median(ms):.0f} "
        f"p90={ms[int(len(ms) * 0.9) - 1]:.0f} max={ms[-1]:.0f} (goal: max <= 1000)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
