-- The links each issue of the newsletter featured (its content, its summary, its own links), so
-- that /suggest can say a link was already featured. The key follows the link rules
-- (storage/relink.py recomputes it from the url when they change).

CREATE TABLE featured_links (
    entry_id INTEGER NOT NULL REFERENCES feed_entries (id),
    url      TEXT NOT NULL,
    link_key TEXT,
    PRIMARY KEY (entry_id, url)
) WITHOUT ROWID;
CREATE INDEX featured_links_key ON featured_links (link_key);

-- An earlier cycle's suggestion of the same link is found by its key.
CREATE INDEX suggestions_link_key ON suggestions (link_key);

-- Read every feed again at its next check (not as a first sight: a new issue is still
-- announced), so that the issues already known get their links indexed.
UPDATE feeds SET etag = NULL, last_modified = NULL, body_sha256 = ''
    WHERE body_sha256 IS NOT NULL;
