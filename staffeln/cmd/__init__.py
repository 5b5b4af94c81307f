"""Console entry points.

The oslo.service threading backend is chosen here, once, before anything else
imports oslo.service: Staffeln never uses eventlet.
"""

import warnings

# oslo.service still installs eventlet and futurist imports it when it is
# there, which makes eventlet warn about itself; Staffeln never uses it.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from oslo_service import backend  # noqa: E402

try:
    backend.init_backend(backend.BackendType.THREADING)
except backend.exceptions.BackendAlreadySelected:
    pass
