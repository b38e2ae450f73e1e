-- A suggestion's cycle is no longer checked by a foreign key. PostgreSQL checks one with a
-- trigger per inserted row that locks the cycle's row (FOR KEY SHARE): when a thousand members
-- suggest at once, that was over a quarter of their insert. The reference still holds by
-- construction: the suggestion writer takes the open cycle's id from the cycles table, and
-- cycles are never deleted (they close). As migrations/postgres/0010 did for votes.
ALTER TABLE suggestions DROP CONSTRAINT suggestions_cycle_id_fkey;
