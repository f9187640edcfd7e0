"""Builders behind ``scripts/build_demo_data.py``: real open data converted to the import format.

Roads come from OpenStreetMap (via the ``bestnearestpath`` sdist), the grid from SimBench; names,
phones, addresses, priorities, zones, depots and crews are synthesised deterministically.
"""
