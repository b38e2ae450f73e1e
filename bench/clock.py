"""Timing the tasks a library starts for each event, through a loop task factory (nothing of
the library is patched)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any


class TaskClock:
    """Times the tasks a library starts for each event (a loop task factory: nothing patched):
    those named `name`, or with None every task but debounced card edits."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.started: list[float] = []
        self.latencies: list[float] = []
        self.pending: dict[asyncio.Task[Any], float] = {}  # task -> when it was made

    def matches(self, task: asyncio.Task[Any]) -> bool:
        named = task.get_name()  # set by the loop just after the factory made the task
        if self.name is None:
            return not named.startswith("refresh card")
        return named == self.name

    def install(self) -> None:
        loop = asyncio.get_running_loop()

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
        ) -> asyncio.Task[Any]:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            self.pending[task] = time.perf_counter()
            task.add_done_callback(done)
            return task

        def done(task: asyncio.Task[Any]) -> None:
            born = self.pending.pop(task)
            if self.matches(task):
                self.latencies.append(time.perf_counter() - born)

        loop.set_task_factory(factory)  # type: ignore[arg-type]

    def uninstall(self) -> None:
        asyncio.get_running_loop().set_task_factory(None)

    def waiting(self) -> set[asyncio.Task[Any]]:
        return {task for task in self.pending if self.matches(task)}

    async def drained(self) -> None:
        while waiting := self.waiting():
            await asyncio.wait(waiting)
