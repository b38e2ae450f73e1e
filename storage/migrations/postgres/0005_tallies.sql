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

-- Statement-level triggers over transition tables: a batch of votes inserted in one statement
-- updates each tally once, not once per vote.
CREATE FUNCTION votes_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tallies (suggestion_id, platform, votes)
        SELECT suggestion_id, platform, COUNT(*) FROM added GROUP BY suggestion_id, platform
        ON CONFLICT (suggestion_id, platform) DO UPDATE SET votes = tallies.votes + EXCLUDED.votes;
    UPDATE suggestions s SET votes = s.votes + a.n
        FROM (SELECT suggestion_id, COUNT(*) AS n FROM added GROUP BY suggestion_id) a
        WHERE s.id = a.suggestion_id;
    RETURN NULL;
END $$;

CREATE FUNCTION votes_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tallies t SET votes = t.votes - r.n
        FROM (SELECT suggestion_id, platform, COUNT(*) AS n FROM removed
              GROUP BY suggestion_id, platform) r
        WHERE t.suggestion_id = r.suggestion_id AND t.platform = r.platform;
    UPDATE suggestions s SET votes = s.votes - r.n
        FROM (SELECT suggestion_id, COUNT(*) AS n FROM removed GROUP BY suggestion_id) r
        WHERE s.id = r.suggestion_id;
    RETURN NULL;
END $$;

CREATE TRIGGER votes_counted AFTER INSERT ON votes REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION votes_counted();
CREATE TRIGGER votes_uncounted AFTER DELETE ON votes REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION votes_uncounted();

CREATE INDEX suggestions_ranked ON suggestions (cycle_id, votes DESC, number)
    WHERE withdrawn_at IS NULL;
