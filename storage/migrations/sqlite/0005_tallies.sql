-- Votes counted as they are cast: a per-platform tally and a total on each suggestion, kept by
-- triggers in the same transaction as the vote, so a shortlist never counts every vote again
-- and "top N" is an index walk.

CREATE TABLE tallies (
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    platform      TEXT NOT NULL,
    votes         INTEGER NOT NULL,
    PRIMARY KEY (suggestion_id, platform)
) WITHOUT ROWID;

ALTER TABLE suggestions ADD COLUMN votes INTEGER NOT NULL DEFAULT 0;

INSERT INTO tallies (suggestion_id, platform, votes)
    SELECT suggestion_id, platform, COUNT(*) FROM votes GROUP BY suggestion_id, platform;
UPDATE suggestions SET votes = (SELECT COUNT(*) FROM votes WHERE suggestion_id = suggestions.id);

CREATE TRIGGER votes_counted AFTER INSERT ON votes BEGIN
    INSERT INTO tallies (suggestion_id, platform, votes) VALUES (NEW.suggestion_id, NEW.platform, 1)
        ON CONFLICT (suggestion_id, platform) DO UPDATE SET votes = votes + 1;
    UPDATE suggestions SET votes = votes + 1 WHERE id = NEW.suggestion_id;
END;

CREATE TRIGGER votes_uncounted AFTER DELETE ON votes BEGIN
    UPDATE tallies SET votes = votes - 1
        WHERE suggestion_id = OLD.suggestion_id AND platform = OLD.platform;
    UPDATE suggestions SET votes = votes - 1 WHERE id = OLD.suggestion_id;
END;

-- The shortlist: most votes first, the earlier suggestion among equals.
CREATE INDEX suggestions_ranked ON suggestions (cycle_id, votes DESC, number)
    WHERE withdrawn_at IS NULL;
