"""The fake Polar and the testing kit, seen from plain HTTP and from pytest."""
