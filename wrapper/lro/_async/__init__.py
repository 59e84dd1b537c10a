"""The asyncio I/O half: the async transport, ``AsyncClient``, async waiting and
``async_wait_all`` with tasks, ``AsyncPager``. It drives :mod:`lro._core` and never
imports ``lro._sync``."""
