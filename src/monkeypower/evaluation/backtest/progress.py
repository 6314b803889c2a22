"""A one-line progress display of a backtest on stderr."""

from __future__ import annotations

import sys

__all__ = ["Progress"]


class Progress:
    """A one-line progress display on stderr (no logging configuration, no global state)."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled
        self.total = total
        self.done = 0

    def step(self, text: str, advance: int = 1) -> None:
        """Count ``advance`` steps done and show ``text``."""
        self.done += advance
        self.show(text)

    def show(self, text: str) -> None:
        """Show ``text`` after the count (when enabled)."""
        if self.enabled:
            sys.stderr.write(f"\rbacktest [{self.done}/{self.total}] {text[:70]:<70}")
            sys.stderr.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
