"""The examples of the README and the docs, run."""
