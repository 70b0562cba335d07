"""Background work one process at a time does: leader election, the projection loop, the breach watch.
Imports ledger.domain, ledger.store, ledger.service and projections; never ledger.http."""
