"""The data-access layer: all SQL lives here, in functions named for what they return or do."""
