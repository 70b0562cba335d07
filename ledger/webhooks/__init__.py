"""Webhooks: subscriptions, signed at-least-once delivery in feed order, and the SSRF guard."""
