"""Lazy page iterators over List calls.

A :class:`Pager` fetches a page only when it is needed: iterating it yields every item of
every page, ``pager.pages()`` yields :class:`Page` objects, ``pager.total_size`` and
``pager.unreachable`` read the first page (fetching it if needed). An empty
``nextPageToken`` is the only end-of-list signal; a server that hands back the token it was
given would loop forever, so that raises :class:`~lro.errors.InvalidResponse`.

The async twin, ``AsyncPager``, lives in :mod:`lro.aio`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import InvalidResponse

__all__ = ["Page", "Pager"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a List response.

    Attributes:
        items: the page's items (operations).
        next_page_token: the token of the next page; empty on the last page.
        total_size: all matches ignoring paging, when the server says (audited view).
        unreachable: resources the server could not reach (standard view, partial success).
    """

    items: list[T]
    next_page_token: str = ""
    total_size: int | None = None
    unreachable: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def check_next_token(page: Page[T], token: str | None) -> str | None:
    """The token to fetch after ``page`` (which was fetched with ``token``), None at the end."""
    following = page.next_page_token
    if not following:
        return None
    if following == token:
        raise InvalidResponse(
            "the server returned the same nextPageToken again; stopping to avoid a loop",
            raw=following[:200],
        )
    return following


class Pager(Generic[T]):
    """Lazy iterator over all the items of a List call, across pages.

    ``fetch(token)`` gets one page (``token`` None for the first). The first page is
    cached: ``total_size`` then iteration costs one request for it, not two. Iterating again
    starts over from the first page (cached) and refetches the rest.
    """

    def __init__(self, fetch: Callable[[str | None], Page[T]]) -> None:
        self._fetch = fetch
        self._first: Page[T] | None = None

    def first_page(self) -> Page[T]:
        """The first page (fetched once, then cached)."""
        if self._first is None:
            self._first = self._fetch(None)
        return self._first

    def pages(self) -> Iterator[Page[T]]:
        """Iterate over the pages, fetching each one when it is reached."""
        page = self.first_page()
        token: str | None = None
        while True:
            yield page
            token = check_next_token(page, token)
            if token is None:
                return
            page = self._fetch(token)

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    @property
    def total_size(self) -> int | None:
        """All matches ignoring paging, from the first page (None if the server omits it)."""
        return self.first_page().total_size

    @property
    def unreachable(self) -> list[str]:
        """Unreachable resources reported by the first page."""
        return list(self.first_page().unreachable)

    def __repr__(self) -> str:
        state = "first page fetched" if self._first is not None else "not fetched"
        return f"Pager({state})"
