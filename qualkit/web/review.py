"""Passage review in the browser (built on the passage-review library once it lands)."""

from __future__ import annotations

from starlette.routing import Route

ROUTES: list[Route] = []
