"""Example agent for the Phoenix end-to-end test, run under ``python -m interven_autoguard run``.

Three calls through ``requests`` to a loopback server: one plain (allowed), one carrying a planted
credential and SSN (sanitized), and one to the cloud metadata address (blocked before any
connection). Prints what happened as JSON. The planted values come from ``E2E_PLANTED`` so that
no credential-shaped literal lives in the repository.
"""

import safetynet

safetynet.install()  # before anything can open a socket

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import requests  # noqa: E402

from interven_autoguard.errors import RequestBlocked  # noqa: E402


def main(base: str) -> None:
    planted = json.loads(os.environ["E2E_PLANTED"])
    results = {}
    r = requests.post(f"{base}/allowed", json={"question": "What is the weather in Paris?"}, timeout=10)
    results["allowed"] = r.status_code
    note = f"deploy with token {planted['token']} for customer ssn {planted['ssn']}"
    r = requests.post(f"{base}/sanitized", json={"note": note}, timeout=10)
    results["sanitized"] = r.status_code
    try:
        requests.get("http://169.254.169.254/latest/meta-data/iam/security-credentials/", timeout=10)
        results["blocked"] = "NOT BLOCKED"
    except RequestBlocked as exc:
        results["blocked"] = {"decision": exc.decision, "reason_codes": exc.reason_codes}
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
