-- Made to 0001_baseline in place: the old chain plus this builds the schema the baseline builds.
-- Writes of configuration (webhook subscriptions) append no event: they are not crisis facts, and
-- an event would move every feed position after it. They keep their Idempotency-Key in the same
-- table as every other write, with the answer they gave (`response`, the JSON body) in place of
-- the feed positions they do not have, so a retry is answered as the first request was.
ALTER TABLE idempotency_keys
    ALTER COLUMN first_position DROP NOT NULL,
    ALTER COLUMN last_position DROP NOT NULL,
    ADD COLUMN response bytea;
