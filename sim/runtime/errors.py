"""The exception a task raises inside its process when it fails."""
from __future__ import annotations

__all__ = ["TaskFailure"]


class TaskFailure(Exception):
    """Raised inside a task's process: the task fails and the job fails over."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
