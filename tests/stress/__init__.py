"""Long-running scripts (soak, fuzz, the write matrix), each also run small by a unit test."""
