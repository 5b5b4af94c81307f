"""The base of the contract scenarios: one test, one target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fixtures
from openstack import exceptions as os_exc
import testtools

from staffeln.tests.contract import targets

#: Seconds a scenario may take; the real cloud needs ~10 s per backup.
TIMEOUT = 900


class ContractTestCase(testtools.TestCase):
    """Runs once per target (see :func:`targets.scenarios`)."""

    scenarios = targets.scenarios()
    target_factory: Callable[[], targets.Target]

    def setUp(self) -> None:
        super().setUp()
        self.useFixture(fixtures.Timeout(TIMEOUT, gentle=True))
        self.target = self.useFixture(self.target_factory())

    def assertHttpError(self, status: int, message: str,
                        func: Callable[..., Any], *args: Any,
                        **kwargs: Any) -> os_exc.HttpException:
        """``func`` fails with exactly this HTTP status and message."""
        error = self.assertRaises(os_exc.HttpException, func, *args, **kwargs)
        self.assertEqual((status, message), (error.status_code, error.details))
        return error

    def requires_compute(self) -> None:
        if not self.target.has_compute:
            self.skipTest('this cloud has no Nova (WITH_NOVA=0)')
