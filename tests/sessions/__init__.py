"""Customer sessions: minting, the session cache, and per-customer token views."""
