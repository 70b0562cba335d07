"""The audit trail: the hash chain, its verification, signed checkpoints and exports. Imports ledger.domain,
ledger.store and projections; never ledger.http."""
