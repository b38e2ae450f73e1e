"""Reading the console's input without ever holding up the event loop or shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TextIO


async def read_lines(stream: TextIO) -> asyncio.Queue[str | None]:
    """Lines from `stream`, read on a daemon thread so a blocked read never holds up shutdown.

    (`connect_read_pipe` can't watch a regular file, and the default executor would wait for a
    pending `readline` at exit.) None marks the end of input.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in stream:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue
