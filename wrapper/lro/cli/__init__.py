"""The ``lro`` command line (extra ``lro-sdk[cli]``: click and rich).

Commands: get, list, wait, cancel, delete (users); create, update, finish, seen, unseen
(workers and creators, audited view); serve (the reference server). Every command takes
``--json``; exit codes are documented in ``lro --help`` and docs/cli.md.

Importing this package imports click but not rich (loaded only to draw a progress bar),
nor the SDK client, lro_api or pydantic (loaded inside the commands that talk to a server).
``import lro`` never imports this package. With only the core installed (no click), the
``lro`` command prints one line naming the extra and exits 2, instead of a traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

#: What to run when the command line's dependencies are missing.
INSTALL_HINT = "pip install 'lro-sdk[cli]'"

if find_spec("click") is not None and find_spec("rich") is not None:
    from ._app import cli, main, run
    from ._exit import EXIT_CODE_TABLE, ExitCode
else:  # the core install: the `lro` script still explains itself, in one line
    import sys as _sys
    from collections.abc import Sequence as _Sequence

    from ._exit import EXIT_CODE_TABLE, ExitCode

    def run(argv: _Sequence[str] | None = None) -> int:
        """Say that the command line is not installed; return the usage exit code."""
        print(f"lro: the command line is not installed: {INSTALL_HINT}", file=_sys.stderr)
        return int(ExitCode.USAGE)

    def main(argv: _Sequence[str] | None = None) -> None:
        """Console-script entry point of the core install: one line, exit code 2."""
        _sys.exit(run(argv))


__all__ = ["EXIT_CODE_TABLE", "INSTALL_HINT", "ExitCode", "cli", "main", "run"]
