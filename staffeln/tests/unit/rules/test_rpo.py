import datetime

from staffeln.rules import rpo
from staffeln.tests import base

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
MARGIN = datetime.timedelta(minutes=10)


class TestRpo(base.TestCase):

    def test_met_until_interval_and_margin_pass(self):
        self.assertEqual(rpo.MET, rpo.state(T0 + DAY + MARGIN, DAY, MARGIN,
                                            T0, T0))
        self.assertEqual(rpo.BREACHED,
                         rpo.state(T0 + DAY + MARGIN
                                   + datetime.timedelta(seconds=1),
                                   DAY, MARGIN, T0, T0))

    def test_never_backed_up(self):
        self.assertEqual(rpo.PENDING, rpo.state(T0 + DAY, DAY, MARGIN,
                                                None, T0))
        self.assertEqual(rpo.BREACHED, rpo.state(T0 + 2 * DAY, DAY, MARGIN,
                                                 None, T0))
