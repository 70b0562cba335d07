"""The domain: commands, the incident decider, the emergency plan and calendars, reply review, errors.
Pure: no I/O; imports only ledger.domain, schemas and pure libraries."""
