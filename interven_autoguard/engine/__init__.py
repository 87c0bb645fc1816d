"""The embedded scanner: detectors, decoding, destinations, policy and redaction.

Knows nothing of HTTP client libraries or OpenTelemetry.
"""
