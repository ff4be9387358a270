"""State that outlives a request: snapshots of the sandbox (document.py), a state file kept
current for `mockserver run --state` (statefile.py)."""
