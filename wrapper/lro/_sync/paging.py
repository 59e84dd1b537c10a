# generated from lro/_async/paging.py by scripts/unasync.py; do not edit
# (edit the async module and run `python scripts/unasync.py`)
"""``Pager``: the lazy iterator over List calls.

An :class:`Pager` fetches a page only when it is needed: iterating it yields every
item of every page, ``pager.pages()`` yields :class:`lro.Page` objects,
``pager.total_size`` and ``pager.unreachable`` read the first page (fetching
it if needed). The end-of-list and loop checks are :class:`lro._core.paging.PageTokens`,
shared by both halves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from lro._core.paging import DEFAULT_MAX_PAGES, Page, PageTokens

__all__ = ["Pager"]

T = TypeVar("T")


class Pager(Generic[T]):
    """Lazy iterator over all the items of a List call, across pages:
    ``for item in pager``; ``for page in pager.pages()``.

    ``fetch(token)`` gets one page (``token`` None for the first). The first page is
    cached: ``total_size`` then iteration costs one request for it, not two. Iterating
    again starts over from the first page (cached) and refetches the rest. A server that
    returns a page token this listing already sent, or a listing past ``max_pages``
    pages, ends it with :class:`lro.InvalidResponse` (so a bad server cannot loop it).
    """

    def __init__(
        self,
        fetch: Callable[[str | None], Page[T]],
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self._fetch = fetch
        self._first: Page[T] | None = None
        self._max_pages = max_pages

    def first_page(self) -> Page[T]:
        """The first page (fetched once, then cached)."""
        if self._first is None:
            self._first = self._fetch(None)
        return self._first

    def pages(self) -> Iterator[Page[T]]:
        """Iterate over the pages, fetching each one when it is reached."""
        page = self.first_page()
        tokens = PageTokens(self._max_pages)  # every token this listing sends
        while True:
            yield page
            token = tokens.next(page)
            if token is None:
                return
            page = self._fetch(token)

    def _items(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def __iter__(self) -> Iterator[T]:
        return self._items()

    def _total_size(self) -> int | None:
        return (self.first_page()).total_size

    def _unreachable(self) -> list[str]:
        return list((self.first_page()).unreachable)

    @property
    def total_size(self) -> int | None:
        """All matches ignoring paging, from the first page (None if the server omits it);
        ``pager.total_size``."""
        return self._total_size()

    @property
    def unreachable(self) -> list[str]:
        """Unreachable resources reported by the first page; ``pager.unreachable``."""
        return self._unreachable()

    def __repr__(self) -> str:
        state = "first page fetched" if self._first is not None else "not fetched"
        return f"Pager({state})"
