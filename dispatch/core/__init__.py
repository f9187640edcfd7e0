"""What every domain package stands on: configuration, the clock, errors, the database, the declarative base and the outbox of live messages."""
