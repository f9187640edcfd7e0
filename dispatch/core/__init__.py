"""What every domain package stands on: the clock (and, next, configuration, errors, the database)."""
