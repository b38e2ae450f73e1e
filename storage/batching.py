"""Group commit in one place: whatever arrived while the last batch was being handled is handled
next, in one go, and every caller waits for its own result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
In = TypeVar("In")
Out = TypeVar("Out")


class Batcher(Generic[In, Out]):
    def __init__(
        self, handle: Callable[[list[In]], Awaitable[list[Out]]], name: str, *, most: int = 0
    ) -> None:
        """`handle` answers a batch in order; `most`, if set, caps a batch's size."""
        self._handle = handle
        self._name = name
        self._most = most
        self._queue: list[tuple[In, asyncio.Future[Out]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self._name)
        return await future

    async def _run(self) -> None:
        while self._queue:
            cut = self._most or len(self._queue)
            batch, self._queue = self._queue[:cut], self._queue[cut:]
            try:
                results = await self._handle([item for item, _ in batch])
            except BaseException as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                if not isinstance(error, Exception):
                    raise  # cancelled: the callers heard, and the task ends
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """`items` in runs of at most `size`: an IN (...) list stays under SQLite's parameter limit."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
