"""``AsyncPager``: the lazy iterator over List calls.

An :class:`AsyncPager` fetches a page only when it is needed: iterating it yields every
item of every page, ``pager.pages()`` yields :class:`lro.Page` objects,
``await pager.total_size`` and ``await pager.unreachable`` read the first page (fetching
it if needed). The end-of-list and loop checks are :class:`lro._core.paging.PageTokens`,
shared by both halves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from lro._core.paging import DEFAULT_MAX_PAGES, Page, PageTokens

__all__ = ["AsyncPager"]

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """Lazy iterator over all the items of a List call, across pages:
    ``async for item in pager``; ``async for page in pager.pages()``.

    ``fetch(token)`` gets one page (``token`` None for the first). The first page is
    cached: ``total_size`` then iteration costs one request for it, not two. Iterating
    again starts over from the first page (cached) and refetches the rest. A server that
    returns a page token this listing already sent, or a listing past ``max_pages``
    pages, ends it with :class:`lro.InvalidResponse` (so a bad server cannot loop it).
    """

    def __init__(
        self,
        fetch: Callable[[str | None], Awaitable[Page[T]]],
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self._fetch = fetch
        self._first: Page[T] | None = None
        self._max_pages = max_pages

    async def first_page(self) -> Page[T]:
        """The first page (fetched once, then cached)."""
        if self._first is None:
            self._first = await self._fetch(None)
        return self._first

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate over the pages, fetching each one when it is reached."""
        page = await self.first_page()
        tokens = PageTokens(self._max_pages)  # every token this listing sends
        while True:
            yield page
            token = tokens.next(page)
            if token is None:
                return
            page = await self._fetch(token)

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            # unasync: sync-next: yield from page.items
            for item in page.items:
                yield item  # unasync: async-only

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _total_size(self) -> int | None:
        return (await self.first_page()).total_size

    async def _unreachable(self) -> list[str]:
        return list((await self.first_page()).unreachable)

    @property
    def total_size(self) -> Awaitable[int | None]:
        """All matches ignoring paging, from the first page (None if the server omits it);
        ``await pager.total_size``."""
        return self._total_size()

    @property
    def unreachable(self) -> Awaitable[list[str]]:
        """Unreachable resources reported by the first page; ``await pager.unreachable``."""
        return self._unreachable()

    def __repr__(self) -> str:
        state = "first page fetched" if self._first is not None else "not fetched"
        return f"AsyncPager({state})"
