"""The client report: what the sandbox saw a client do, and the advice it gives."""
