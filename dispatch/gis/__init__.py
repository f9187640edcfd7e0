"""The grid: its models, the GeoJSON import of every layer, layer queries, radial topology and switching, outage inference."""
