"""The I/O-free core: request recipes, decoding, retry decisions, the wait plan, values.

Nothing in this package opens a socket, sleeps, starts a thread or touches an event loop
(import-linter checks it); the sync and async halves (``lro._sync``, ``lro._async``) drive
it. Everything here is private: users import from :mod:`lro`.
"""
