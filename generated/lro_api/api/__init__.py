# flake8: noqa

__all__ = [
    "AdminApi",
    "OperationServiceApi",
    "OperationsApi",
]

import typing as _typing

if _typing.TYPE_CHECKING:
    # import apis into api package
    from lro_api.api.admin_api import AdminApi
    from lro_api.api.operation_service_api import OperationServiceApi
    from lro_api.api.operations_api import OperationsApi
    
else:
    from importlib import import_module

    _exports = {
        "AdminApi": ".admin_api",
        "OperationServiceApi": ".operation_service_api",
        "OperationsApi": ".operations_api",
    }

    def __getattr__(name: str) -> object:
        if (module_name := _exports.get(name)) is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module_name, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(globals().keys() | _exports.keys())
