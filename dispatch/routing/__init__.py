"""The roads: their models and store, closures, the road graph, exact crew-to-fault driving times and routes, the OpenStreetMap reader, speeds."""
