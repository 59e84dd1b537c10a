"""The plugin's tests run pytest in this process (``pytester.runpytest``), and pytester
then forgets every module first imported during such a run. Had the async stack been
first imported there, the next test of this worker would import it anew: new exception
classes that the older modules' mappings do not catch (a raw ``RemoteProtocolError``
reached a later fault-matrix test on the same xdist worker). So the whole stack is
imported here, before any such run, and stays the same module objects for the session.
"""

from __future__ import annotations

import importlib
import pkgutil


def _import_all(package_name: str) -> None:
    package = importlib.import_module(package_name)
    for module in pkgutil.walk_packages(package.__path__, package_name + "."):
        if module.name.endswith("__main__"):  # importing it would run the program
            continue
        try:
            importlib.import_module(module.name)
        except Exception:  # an optional backend whose dependency is absent (trio, ...)
            continue


for _name in ("anyio", "h11", "httpcore", "httpx", "lro", "lro_server"):
    _import_all(_name)
