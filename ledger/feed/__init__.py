"""The live feed: committed events announced through PostgreSQL notifications to followers and state
caches. Imports ledger.domain and ledger.store; never ledger.http."""
