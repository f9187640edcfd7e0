"""The managers' reports: response times against the targets, customer interruptions, reliability
indices (IEEE 1366, DL/T 836), complaints and repeat faults. Reads what incidents, crews and the grid
recorded; changes nothing of theirs."""
