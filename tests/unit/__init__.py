"""Unit tests: one module or rule at a time, no webhook post and no worker run."""
