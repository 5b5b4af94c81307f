"""Microversion negotiation like Nova and Cinder."""

import testtools

from staffeln.tests.simcloud import context
from staffeln.tests.simcloud import errors


class TestNegotiate(testtools.TestCase):

    def negotiate(self, headers, legacy=None):
        return context.negotiate(headers, 'volume', (3, 0), (3, 70),
                                 legacy_header=legacy)

    def test_default_latest_and_explicit(self):
        self.assertEqual((3, 0), self.negotiate({}))
        self.assertEqual((3, 70), self.negotiate(
            {'OpenStack-API-Version': 'volume latest'}))
        self.assertEqual((3, 43), self.negotiate(
            {'OpenStack-API-Version': 'compute 2.5, volume 3.43'}))
        self.assertEqual((3, 1), self.negotiate(
            {'X-Legacy': '3.1'}, legacy='X-Legacy'))

    def test_out_of_range_is_406(self):
        error = self.assertRaises(errors.SimError, self.negotiate,
                                  {'OpenStack-API-Version': 'volume 3.99'})
        self.assertEqual(406, error.code)
        self.assertEqual('Version 3.99 is not supported by the API. Minimum '
                         'is 3.0 and maximum is 3.70.', error.message)

    def test_bad_format_is_400(self):
        error = self.assertRaises(errors.SimError, self.negotiate,
                                  {'OpenStack-API-Version': 'volume 3.abc'})
        self.assertEqual((400, 'API Version String 3.abc is of invalid '
                               'format. Must be of format '
                               'MajorNum.MinorNum.'),
                         (error.code, error.message))

    def test_context_roles(self):
        ctx = context.RequestContext('u', 'p', ('member', 'reader'), 't')
        self.assertFalse(ctx.is_admin)
        self.assertTrue(ctx.owns('p'))
        self.assertFalse(ctx.owns('q'))
