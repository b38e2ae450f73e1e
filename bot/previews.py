"""Page titles for new suggestions, fetched in the background so that nobody waits for them: the
member's reply goes out at once, and the cards are edited when the title arrives."""

from __future__ import annotations

import asyncio
import logging

from bot.ballot import Ballot
from bot.models import Suggestion
from bot.pages import PageFetcher

log = logging.getLogger(__name__)


class Previews:
    def __init__(self, ballot: Ballot, fetcher: PageFetcher) -> None:
        self._ballot = ballot
        self._fetcher = fetcher
        self._fetching: set[asyncio.Task[None]] = set()

    async def suggested(self, suggestion: Suggestion) -> None:
        task = asyncio.create_task(self._fetch(suggestion), name=f"page title #{suggestion.id}")
        self._fetching.add(task)
        task.add_done_callback(self._fetching.discard)

    async def _fetch(self, suggestion: Suggestion) -> None:
        page = await self._fetcher.page(suggestion.url)
        if page is None:
            return
        try:
            await self._ballot.set_page(suggestion, page.title, page.description)
        except Exception:
            log.warning("Could not keep the title of #%d", suggestion.number, exc_info=True)

    async def settled(self) -> None:
        """Until every fetch under way has finished (tests and benchmarks wait on this)."""
        while self._fetching:
            await asyncio.gather(*self._fetching, return_exceptions=True)

    async def stop(self) -> None:
        for task in self._fetching:
            task.cancel()
        await asyncio.gather(*self._fetching, return_exceptions=True)
        await self._fetcher.close()
