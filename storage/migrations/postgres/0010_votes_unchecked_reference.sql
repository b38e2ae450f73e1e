-- A vote's suggestion is no longer checked by a foreign key. PostgreSQL checks one with a
-- trigger per inserted row that locks the suggestion's row (FOR KEY SHARE): in a batch of
-- thousands of votes on a few dozen cards that was two fifths of the insert. The reference
-- still holds by construction: the vote writer resolves each vote's suggestion in the same
-- transaction that inserts it, and suggestions are never deleted (a merge marks the merged one
-- with merged_into; cycles close, they are not removed).
ALTER TABLE votes DROP CONSTRAINT votes_suggestion_id_fkey;
