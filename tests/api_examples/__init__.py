"""One example (a good call) per public callable, by module; see tests/api_contract.py."""
