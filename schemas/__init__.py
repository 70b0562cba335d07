"""The contracts: every wire shape (events, request bodies, responses) and the exported OpenAPI document.
Imports nothing of ledger or projections."""
