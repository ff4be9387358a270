"""`mockserver verify`: run one fixed script of calls against a real provider and against an
in-process sandbox, and say, call by call, where the two answer differently.

The script is the provider's (providers/<name>/verification.py); running it, comparing the two
answers and reporting are the same for every provider and live here: transport.py (how a call
reaches the real API, the sandbox, or a recording), session.py (one side's run of the script),
compare.py (what counts as a difference), report.py (the table, the scores, the JSON), run.py
(the command's steps). Provider packages import only the two helpers below, which their
scripts use, so that a server's start imports none of these modules; run.py, which iterates the
registered providers, is imported by the CLI alone."""

KEY_VARIABLE = "MOCKSERVER_VERIFY_KEY"      # the key, kept out of shell history and CI logs


def pace_for(rule) -> float:
    """The least time between two calls that keeps within a rate rule (limit per window), with a
    margin: calls exactly window/limit apart still put limit + 1 of them in one closed window."""
    return rule.window_ms / 1000 / rule.limit * 1.05


def dig(value, *keys):
    """value[k1][k2]..., or None where a step is missing or of another kind."""
    for key in keys:
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return value
