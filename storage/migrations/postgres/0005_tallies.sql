-- Votes counted as they are cast, by triggers in the same transaction as the vote (see
-- migrations/sqlite/0005).

CREATE TABLE tallies (
    suggestion_id BIGINT NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    platform      TEXT NOT NULL,
    votes         INTEGER NOT NULL,
    PRIMARY KEY (suggestion_id, platform)
);

ALTER TABLE suggestions ADD COLUMN votes INTEGER NOT NULL DEFAULT 0;

INSERT INTO tallies (suggestion_id, platform, votes)
    SELECT suggestion_id, platform, COUNT(*) FROM votes GROUP BY suggestion_id, platform;
UPDATE suggestions SET votes = (SELECT COUNT(*) FROM votes WHERE suggestion_id = suggestions.id);

CREATE FUNCTION votes_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tallies (suggestion_id, platform, votes) VALUES (NEW.suggestion_id, NEW.platform, 1)
        ON CONFLICT (suggestion_id, platform) DO UPDATE SET votes = tallies.votes + 1;
    UPDATE suggestions SET votes = votes + 1 WHERE id = NEW.suggestion_id;
    RETURN NULL;
END $$;

CREATE FUNCTION votes_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tallies SET votes = votes - 1
        WHERE suggestion_id = OLD.suggestion_id AND platform = OLD.platform;
    UPDATE suggestions SET votes = votes - 1 WHERE id = OLD.suggestion_id;
    RETURN NULL;
END $$;

CREATE TRIGGER votes_counted AFTER INSERT ON votes
    FOR EACH ROW EXECUTE FUNCTION votes_counted();
CREATE TRIGGER votes_uncounted AFTER DELETE ON votes
    FOR EACH ROW EXECUTE FUNCTION votes_uncounted();

CREATE INDEX suggestions_ranked ON suggestions (cycle_id, votes DESC, number)
    WHERE withdrawn_at IS NULL;
