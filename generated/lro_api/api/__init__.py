# flake8: noqa

# import apis into api package
from lro_api.api.admin_api import AdminApi
from lro_api.api.operation_service_api import OperationServiceApi
from lro_api.api.operations_api import OperationsApi

