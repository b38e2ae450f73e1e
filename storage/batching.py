"""Group commit in one place: whatever arrived while the last batch was being handled is handled
next, in one go. A caller either waits for its own result (`submit`) or hands the item over and
hears of it and its result through a callback (`post`), which costs the event loop no task or
future per item."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
In = TypeVar("In")
Out = TypeVar("Out")

log = logging.getLogger(__name__)


class Batcher(Generic[In, Out]):
    def __init__(
        self,
        handle: Callable[[list[In]], Awaitable[list[Out]]],
        name: str,
        *,
        most: int = 0,
        retry_after: Sequence[float] = (),
    ) -> None:
        """`handle` answers a batch in order; `most`, if set, caps a batch's size. A batch that
        fails is tried again after each of `retry_after`'s seconds (for an idempotent `handle`:
        a dropped connection is replaced by then) before its callers hear of the failure."""
        self._handle = handle
        self._name = name
        self._most = most
        self._retry_after = retry_after
        self._queue: list[tuple[In, asyncio.Future[Out] | Callable[[In, Out], None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._enqueue(item, future)
        return await future

    def post(self, item: In, then: Callable[[In, Out], None]) -> None:
        """Handle `item` with the next batch and call `then` with it and its result; a failed
        batch is logged (nobody is waiting to hear of it)."""
        self._enqueue(item, then)

    async def drain(self) -> None:
        """Until everything handed over so far has been handled."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def _enqueue(self, item: In, waiter: asyncio.Future[Out] | Callable[[In, Out], None]) -> None:
        self._queue.append((item, waiter))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        while self._queue:
            cut = self._most or len(self._queue)
            batch, self._queue = self._queue[:cut], self._queue[cut:]
            try:
                results = await self._handled([item for item, _ in batch])
            except BaseException as error:
                _failed(batch, error, self._name)
                if not isinstance(error, Exception):
                    raise  # cancelled: the callers heard, and the task ends
                continue
            for (item, waiter), result in zip(batch, results, strict=True):
                if isinstance(waiter, asyncio.Future):
                    if not waiter.done():
                        waiter.set_result(result)
                else:
                    try:
                        waiter(item, result)
                    except Exception:
                        log.exception("%s: a result's callback failed", self._name)

    async def _handled(self, items: list[In]) -> list[Out]:
        for delay in self._retry_after:
            try:
                return await self._handle(items)
            except Exception as error:
                log.warning(
                    "%s: a batch failed (%s); trying again in %g s", self._name, error, delay
                )
                await asyncio.sleep(delay)
        return await self._handle(items)


def _failed(
    batch: list[tuple[In, asyncio.Future[Out] | Callable[[In, Out], None]]],
    error: BaseException,
    name: str,
) -> None:
    """Tell the waiting callers; log once for those who handed their items over."""
    posted = 0
    for _, waiter in batch:
        if not isinstance(waiter, asyncio.Future):
            posted += 1
        elif not waiter.done():
            waiter.set_exception(error)
    if posted and isinstance(error, Exception):
        log.error("%s: %d items handed over were lost", name, posted, exc_info=error)


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """`items` in runs of at most `size`: an IN (...) list stays under SQLite's parameter limit."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
