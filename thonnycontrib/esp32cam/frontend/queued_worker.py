"""A worker thread that reports to Tk through a queue: the thread puts ``(kind, value)``,
Tk's side polls and drains it, so nothing touches Tk from another thread."""
from __future__ import annotations

import queue
import threading
from logging import getLogger
from typing import Any, Callable, Iterator, Optional, Tuple

logger = getLogger(__name__)

Put = Callable[[str, Any], None]


class QueuedWorker:
    def __init__(self, name: str) -> None:
        self.name = name  # of the thread
        self._queue: "queue.Queue[Tuple[str, Any]]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending(self) -> bool:
        """Reports not drained yet."""
        return not self._queue.empty()

    def put(self, kind: str, value: Any) -> None:
        self._queue.put((kind, value))

    def start(self, work: Callable[[Put], None], failed: str) -> None:
        """``work(put)`` in a new thread; an Exception it raises is logged as ``failed`` and
        reported as ``("error", exception)``: shown as text, never an internal-error box."""
        def run() -> None:
            try:
                work(self.put)
            except Exception as e:
                logger.exception(failed)
                self.put("error", e)

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()

    def drain(self) -> Iterator[Tuple[str, Any]]:
        """The reports so far, oldest first (on Tk's thread)."""
        while True:
            try:
                yield self._queue.get_nowait()
            except queue.Empty:
                return
