"""The service: runs one command (load, fold, decide, append), reads incidents, authenticates callers.
Imports ledger.domain, ledger.store, ledger.feed and projections; never ledger.http."""
