"""The read side: incident views, SLA and coverage folds, reports, statement provenance, the runner.
Imports ledger.domain, ledger.store, schemas and ledger's top-level modules; never ledger.service or ledger.http."""
