"""One page of a List call, and the rule that ends a listing (shared by both pagers).

An empty
``nextPageToken`` is the only end-of-list signal. A server that hands back a token this
listing has already sent (the one it was given, or an older one: ``A, B, A``) would loop
forever, so that raises :class:`~lro.errors.InvalidResponse`, and so does a listing longer
than its page cap (``max_pages``, :data:`DEFAULT_MAX_PAGES` unless the client says
otherwise).

The pagers themselves are ``lro.Pager`` and ``lro.AsyncPager``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import InvalidResponse

__all__ = ["DEFAULT_MAX_PAGES", "Page", "PageTokens"]

T = TypeVar("T")

#: Most pages one listing fetches before :class:`PageTokens` gives up (a client's default
#: ``max_pages``): 10,000 pages of the server's page size, far more than any real listing.
DEFAULT_MAX_PAGES = 10_000
#: Characters of a repeated token kept in the error (``raw``): a token may be huge.
_TOKEN_EXCERPT = 200


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


class PageTokens:
    """The page tokens one listing has sent, and the rule that ends it.

    :meth:`next` is asked after each page: the token to fetch next, None at the end, or
    :class:`~lro.errors.InvalidResponse` when the server repeats a token this listing
    already sent (any earlier one, not only the last) or the listing reaches
    ``max_pages`` pages.
    """

    __slots__ = ("max_pages", "pages", "sent")

    def __init__(self, max_pages: int = DEFAULT_MAX_PAGES) -> None:
        self.max_pages = max_pages
        self.pages = 1  # the first page, fetched without a token
        self.sent: set[str] = set()

    def next(self, page: Page[T]) -> str | None:
        """The token to fetch after ``page`` (the last one fetched), None at the end."""
        following = page.next_page_token
        if not following:
            return None
        if following in self.sent:
            raise InvalidResponse(
                "the server returned the same nextPageToken again (a page token this "
                f"listing already sent, after {self.pages} pages); stopping to avoid a loop",
                raw=following[:_TOKEN_EXCERPT],
            )
        if self.pages >= self.max_pages:
            raise InvalidResponse(
                f"the listing reached max_pages={self.max_pages} pages and the server "
                "still has more; stopping (raise the client's max_pages to read further)",
                raw=following[:_TOKEN_EXCERPT],
            )
        self.sent.add(following)
        self.pages += 1
        return following
