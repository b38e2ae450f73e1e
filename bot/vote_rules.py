"""Whether a vote counts: the one place the rules live. The vote writer asks `judge` for every
cast in its batch (storage only moves the data), and a card's votes read back after downtime
are judged the same way.

- A cast for a card or suggestion that is not live in the open cycle counts for nothing: it is
  noted as late (its cycle closed, or the suggestion was withdrawn) when it adds a reaction.
- Bots never count; their reactions are noted.
- Nobody votes for their own suggestion; the reaction is noted.
- Everything else counts: one vote per member and platform, taken back when the reaction goes.
"""

from __future__ import annotations

from bot.models import Cast, Suggestion, Verdict


def judge(cast: Cast, suggestion: Suggestion | None) -> Verdict:
    """The verdict on `cast`, given the open cycle's live suggestion it is for (None: none)."""
    if suggestion is None:
        return Verdict.LATE
    if cast.bot:
        return Verdict.BOT
    author = suggestion.author
    if cast.add and author.platform == cast.platform and author.id == cast.voter_id:
        return Verdict.SELF
    return Verdict.COUNTS
