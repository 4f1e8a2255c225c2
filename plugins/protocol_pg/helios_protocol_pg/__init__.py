"""PostgreSQL wire protocol v3 for HeliosDB.

Installed as its own distribution (``helios-protocol-pg``); the kernel finds it
through the ``helios`` entry-point group (see ``plugin.py``).
"""
