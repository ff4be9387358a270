"""`mockserver verify`: run one fixed script of calls against a real provider and against an
in-process sandbox, and say, call by call, where the two answer differently.

The script is the provider's (providers/<name>/verification.py); running it, comparing the two
answers and reporting are the same for every provider and live here: transport.py (how a call
reaches the real API, the sandbox, or a recording), session.py (one side's run of the script),
compare.py (what counts as a difference), report.py (the table, the scores, the JSON), run.py
(the command's steps). Provider packages import none of these: the two helpers their scripts use,
pace_for and dig, live below them (providers/verifying.py), so that nothing runs back up and a
server's start imports none of this package; run.py, which iterates the registered providers, is
imported by the CLI alone."""

KEY_VARIABLE = "MOCKSERVER_VERIFY_KEY"      # the key, kept out of shell history and CI logs
