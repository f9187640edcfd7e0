"""Live updates: the relay that moves committed outbox messages to Redis pub/sub, and the feed the
stream reads (what each user may see, replay after a reconnection, and fallback to the table while
Redis is down)."""
