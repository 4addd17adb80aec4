"""The polar-seats command line, run against the fake over HTTP."""
