-- One index for a suggestion's link instead of two: every read by link key is of live
-- suggestions, in one cycle (is this link on the ballot?) or in the latest earlier one (was it
-- suggested before?), and (link_key, cycle_id) answers both. Each new suggestion now updates
-- one index fewer: on PostgreSQL, 1,000 suggestions inserted at once took 31 ms instead of 35
-- (the median of 12 interleaved runs). Uniqueness is unchanged.
DROP INDEX suggestions_link_key;
DROP INDEX suggestions_live_link;
CREATE UNIQUE INDEX suggestions_live_link ON suggestions (link_key, cycle_id)
    WHERE withdrawn_at IS NULL;
