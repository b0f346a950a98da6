"""The worker's output, grader side: drained as it comes, capped per call, a flood stopped; never parsed."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from typing import Any


class OutputTap:
    """Drains the worker's stdout/stderr in a thread, keeping at most ``cap`` bytes per take.

    The rest is counted, not stored, so a 1 GB print costs the grader no memory; past
    ``flood`` bytes in one take ``on_flood`` is called (the session kills the worker), so an
    endless print loop costs one test rather than a call timeout of grader CPU.

    No waiting: the worker flushes what a call printed before it writes the reply, so when
    the reply is in, the output is in the pipe or already stored. Reads happen only under the
    lock (the thread waits for data without it), so :meth:`take` drains what is left in the
    pipe itself and never misses a chunk the thread holds but has not stored.
    """

    def __init__(self, stream: Any, cap: int, flood: int | None = None,
                 on_flood: Callable[[], None] | None = None) -> None:
        self.cap, self.kept, self.dropped = cap, bytearray(), 0
        self.flood, self.on_flood, self.flooded = flood, on_flood, False
        self.lock = threading.Lock()
        self.stream = stream  # holds the descriptor open as long as the tap lives
        self.fd = stream.fileno()
        self.eof = False
        os.set_blocking(self.fd, False)
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _read_available(self) -> bool:
        """Store what the pipe holds now (caller holds the lock); True when the flood limit was just crossed."""
        while not self.eof:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                break
            room = max(self.cap - len(self.kept), 0)
            self.kept += chunk[:room]
            self.dropped += len(chunk) - min(room, len(chunk))
            if self.flood is not None and not self.flooded and len(self.kept) + self.dropped > self.flood:
                self.flooded = True
                return True
        return False

    def _drain(self) -> None:
        while not self.eof:
            try:
                select.select([self.fd], [], [])
            except (OSError, ValueError):
                return
            with self.lock:
                flooded = self._read_available()
            if flooded and self.on_flood is not None:
                self.on_flood()

    def take(self) -> str:
        """What the student printed since the last take, decoded leniently (never parsed)."""
        with self.lock:
            flooded = self._read_available()
            text = bytes(self.kept).decode("utf-8", errors="replace")
            if self.dropped:
                text += f"\n… {self.dropped:,} more bytes of output were discarded"
            self.kept, self.dropped = bytearray(), 0
        if flooded and self.on_flood is not None:
            self.on_flood()
        return text
