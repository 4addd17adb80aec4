"""Seat writes through the client: assign, revoke, resend, and their retries."""
