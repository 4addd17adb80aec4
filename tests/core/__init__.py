"""The layers every operation shares: protocol, retries, pacing, transport, tracing, secrets."""
