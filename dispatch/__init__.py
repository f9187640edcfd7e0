"""Fault-repair dispatch for electric distribution utilities: the domain, free of any web framework."""
