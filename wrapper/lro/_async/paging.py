"""``AsyncPager``: the lazy async iterator over List calls (twin of ``lro.Pager``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from lro._core.paging import DEFAULT_MAX_PAGES, Page, PageTokens

__all__ = ["AsyncPager"]

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """Lazy async iterator over all the items of a List call, across pages.

    ``async for item in pager``; ``async for page in pager.pages()``;
    ``await pager.total_size`` and ``await pager.unreachable`` read the first page
    (fetched once, then cached), like the sync :class:`lro.Pager`'s properties. A
    repeated page token, or a listing past ``max_pages`` pages, raises
    :class:`lro.InvalidResponse`, as for :class:`lro.Pager`.
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
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _total_size(self) -> int | None:
        return (await self.first_page()).total_size

    async def _unreachable(self) -> list[str]:
        return list((await self.first_page()).unreachable)

    @property
    def total_size(self) -> Awaitable[int | None]:
        """``await pager.total_size``: all matches ignoring paging (first page)."""
        return self._total_size()

    @property
    def unreachable(self) -> Awaitable[list[str]]:
        """``await pager.unreachable``: unreachable resources reported by the first page."""
        return self._unreachable()

    def __repr__(self) -> str:
        state = "first page fetched" if self._first is not None else "not fetched"
        return f"AsyncPager({state})"
