"""Servers started on this machine for `make run`, the tests and the bench.

They are development tools, not adapters: production points the service at
servers of its own (``NATS_URL``, ``DATABASE_URL``).
"""
