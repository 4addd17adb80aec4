"""Walking subscriptions: pagination, prefetch, and a walk's memory of ids."""
