"""The fake's resources."""
