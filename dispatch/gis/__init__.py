"""Geometry and grid topology: GeoJSON I/O and validation, snapping, tracing."""
