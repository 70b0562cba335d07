"""Webhooks: signed at-least-once delivery in feed order, and the SSRF guard (subscriptions are stored by
ledger.store.webhooks). Imports ledger.domain, ledger.store, ledger.feed and projections; never ledger.http."""
