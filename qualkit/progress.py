"""How long work reports progress: ``on_progress(done, total, item)``, called as it moves on.

The CLI turns it into a progress bar; library users may pass any callable, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]
