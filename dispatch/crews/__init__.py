"""Repair crews: their records, duty and positions, who is sent where (assignment and queues), and the jobs their phones work."""
