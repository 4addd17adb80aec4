"""polar_seats.webhooks: verifying the fake's signed seat events."""
