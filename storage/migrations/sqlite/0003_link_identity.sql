-- Link identity v2: a suggestion's identity (its link key: scheme-less, query sorted, trackers
-- removed) is kept apart from the link shown. Keys are computed by the core's link rules, in
-- storage/relink.py, right after this migration and whenever the rules change.

ALTER TABLE suggestions ADD COLUMN link_key TEXT;
ALTER TABLE suggestions ADD COLUMN merged_into INTEGER REFERENCES suggestions (id);
DROP INDEX suggestions_live_url;
-- NULL keys (not computed yet) never collide.
CREATE UNIQUE INDEX suggestions_live_link ON suggestions (cycle_id, link_key)
    WHERE withdrawn_at IS NULL;

-- A card whose suggestion was merged into another shows the old one until it is edited.
ALTER TABLE cards ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;

-- Facts about the database itself, such as the version of the link rules its keys follow.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
