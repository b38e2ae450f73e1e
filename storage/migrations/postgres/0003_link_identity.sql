-- Link identity v2 (see migrations/sqlite/0003): keys are computed by storage/relink.py.

ALTER TABLE suggestions ADD COLUMN link_key TEXT;
ALTER TABLE suggestions ADD COLUMN merged_into BIGINT REFERENCES suggestions (id);
DROP INDEX suggestions_live_url;
-- NULL keys (not computed yet) never collide.
CREATE UNIQUE INDEX suggestions_live_link ON suggestions (cycle_id, link_key)
    WHERE withdrawn_at IS NULL;

ALTER TABLE cards ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
