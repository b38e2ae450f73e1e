"""Refusals the core hands back to members, each carrying a message that is safe to show them.

Front ends map `UserFacingError` once, to an ephemeral reply; any other exception is a bug, logged
with its traceback, and the member only gets a short generic apology.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models import Member, Suggestion


class UserFacingError(Exception):
    """A request the core refused; `message` is written for the member who made it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidLink(UserFacingError):
    """The suggested URL can't be suggested (bad scheme, private host, too long, …)."""


class InvalidNote(UserFacingError):
    """The note attached to a suggestion is too long or contains control characters."""


class DuplicateSuggestion(UserFacingError):
    """The link is already on this cycle's ballot; `suggestion` is the one to vote for."""

    def __init__(self, message: str, suggestion: Suggestion) -> None:
        super().__init__(message)
        self.suggestion = suggestion


class AlreadyFeatured(UserFacingError):
    """An issue of the newsletter already carried the link."""


class SuggestionLimitReached(UserFacingError):
    """The member has made as many suggestions as one cycle allows."""


class SelfVote(UserFacingError):
    """Members can't vote for their own suggestion."""


class NotCurator(UserFacingError):
    """The command is for curators only."""


class UnknownSuggestion(UserFacingError):
    """No suggestion has that number in the cycle."""


class NotYours(UserFacingError):
    """Only a suggestion's author, or a curator, may withdraw it or edit its note."""


class UnknownCycle(UserFacingError):
    """No cycle has that number."""


class FrontEndUnavailable(Exception):
    """A front end cannot run at all (its credentials were rejected, say); says which setting."""


class CardRefused(UserFacingError):
    """The platform refused to post a suggestion's card; the message, in the platform's own
    markup, tells the member what an admin should fix."""


class CardGone(Exception):
    """The card's message no longer exists on its platform."""


class PostRefused(Exception):
    """The platform answered a post with an error: nothing was posted, so a retry need not
    look for it first."""


class ChannelGone(Exception):
    """The card's whole channel no longer exists (or can't be found): not a member's or a
    moderator's decision about one suggestion, so nothing is withdrawn for it."""


def require_curator(member: Member) -> None:
    """Curators only: `NotCurator` for anyone else."""
    if not member.is_curator:
        raise NotCurator("Only curators can do that.")
