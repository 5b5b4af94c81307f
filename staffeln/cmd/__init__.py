"""Console entry points.

The oslo.service threading backend is chosen here, once, before anything else
imports oslo.service: Staffeln never uses eventlet.
"""

from oslo_service import backend

try:
    backend.init_backend(backend.BackendType.THREADING)
except backend.exceptions.BackendAlreadySelected:
    pass
