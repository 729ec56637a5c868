"""Event log of the virtual board: what happened, when, with which data.

Tests wait on it (`wait_for`) instead of sleeping; the CLI prints each event
to stderr through a listener.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional


@dataclass(frozen=True)
class Event:
    kind: str
    time: float  # time.monotonic() when it happened
    data: dict = field(default_factory=dict)

    def __str__(self) -> str:
        details = " ".join(f"{key}={value!r}" for key, value in self.data.items())
        return f"{self.kind} {details}".rstrip()


class EventLog:
    def __init__(self) -> None:
        self._events: List[Event] = []
        self._cond = threading.Condition()
        self._listeners: List[Callable[[Event], None]] = []

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def emit(self, kind: str, **data: Any) -> Event:
        event = Event(kind, time.monotonic(), data)
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the board
                pass
        return event

    def mark(self) -> int:
        """Index to pass as `since=` so later waits ignore older events."""
        with self._cond:
            return len(self._events)

    def all(self, kind: Optional[str] = None, since: int = 0) -> List[Event]:
        with self._cond:
            events = self._events[since:]
        return [e for e in events if kind is None or e.kind == kind]

    def find(self, kind: str, since: int = 0, **match: Any) -> Optional[Event]:
        for event in self.all(kind, since):
            if all(event.data.get(k) == v for k, v in match.items()):
                return event
        return None

    def wait_for(self, kind: str, timeout: float = 10.0, since: int = 0, **match: Any) -> Event:
        """First event of `kind` at index >= since whose data contains `match`.

        Raises TimeoutError listing the recent events when none arrives.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                event = self.find(kind, since, **match)
                if event is not None:
                    return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = ", ".join(str(e) for e in self._events[-12:])
                    raise TimeoutError(f"no {kind!r} event {match or ''} within {timeout} s; recent: {recent}")
                self._cond.wait(remaining)
