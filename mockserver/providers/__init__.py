"""One package per emulated provider, each stating the provider contract (contract.py) in its
``__init__``; registry.py lists them."""
