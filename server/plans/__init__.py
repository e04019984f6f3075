"""Inspection plans: secret until their findings are issued (see access.py)."""
