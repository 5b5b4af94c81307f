"""Keeping the conductor's loops alive through failures, quietly.

A step that fails (OpenStack unreachable, the database down) is logged when
it starts failing and when its failure changes, in one line without a
traceback; the next run tries again. When it works again, that is logged
once too. Only an error nobody expected is logged with its traceback.
"""

from oslo_log import log as logging

from staffeln.common import exception
from staffeln.db import api as db_api

LOG = logging.getLogger(__name__)


def _database_error(exc: Exception) -> str:
    cause = getattr(exc, 'orig', None) or getattr(
        exc, 'inner_exception', None) or exc
    text = ' '.join(str(cause).split())[:300]
    return f'the database cannot be used ({type(cause).__name__}: {text})'


class Guard:
    """Runs the steps of one loop; remembers which of them are failing."""

    def __init__(self):
        self._failing: dict[str, str] = {}

    def run(self, name: str, func, *args):
        """``func(*args)``, or None when it failed."""
        try:
            result = func(*args)
        except exception.CloudError as exc:
            self._failed(name, str(exc))
        except exception.DatabaseUnavailable as exc:
            self._failed(name, _database_error(exc.__cause__ or exc))
        except db_api.DATABASE_ERRORS as exc:
            self._failed(name, _database_error(exc))
        except Exception:
            self._failing.pop(name, None)
            LOG.exception('%s failed', name)
        else:
            if self._failing.pop(name, None) is not None:
                LOG.info('%s works again', name)
            return result
        return None

    def _failed(self, name: str, message: str) -> None:
        if self._failing.get(name) != message:
            LOG.warning('%s did not finish, it is tried again: %s', name,
                        message)
        else:
            LOG.debug('%s still fails: %s', name, message)
        self._failing[name] = message

    @property
    def failing(self) -> dict[str, str]:
        """What fails now: step name -> the last failure."""
        return dict(self._failing)
