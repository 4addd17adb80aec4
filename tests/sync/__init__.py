"""The synchronous Client, alone and inside a Django view."""
