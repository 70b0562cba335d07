"""The persistence layer: the event store, policies, keys, webhook subscriptions, the migrations; the SQL
lives here. Imports ledger.domain, schemas and ledger's top-level modules (config, metrics, lru, clock)."""
