-- The live feed's wake-ups are now sent by the appending process after its commit
-- (ledger/notify.py), not by a trigger inside every append: a NOTIFY in the appending
-- transaction takes PostgreSQL's database-wide notification lock at commit, which serialized
-- the appends of all tenants.
DROP TRIGGER events_notify ON events;
DROP FUNCTION ledger_notify_events();
