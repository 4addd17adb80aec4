"""The fake's app core."""
