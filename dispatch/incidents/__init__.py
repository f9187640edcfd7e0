"""Incidents: customers' fault reports taken in and located, grouped into incidents, their lifecycle, SLA clocks and sweeper."""
