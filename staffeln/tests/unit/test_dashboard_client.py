"""The dashboard client's reading of staffeln-api's error documents."""

import testtools

from staffeln.dashboard import client


class TestApiError(testtools.TestCase):

    def test_a_bad_request_about_a_field(self):
        error = client.ApiError(
            400, 'schedule: hour 25 is not within 0-23; a schedule is an '
                 'interval (6h)')
        self.assertEqual('schedule', error.field)
        self.assertEqual('hour 25 is not within 0-23; a schedule is an '
                         'interval (6h)', error.field_message)

    def test_a_bad_request_about_nothing_in_particular(self):
        error = client.ApiError(400, 'limit must be an integer from 1 to '
                                     '1000')
        self.assertIsNone(error.field)
        self.assertEqual(error.message, error.field_message)

    def test_other_statuses_name_no_field(self):
        error = client.ApiError(409, 'name: taken')
        self.assertIsNone(error.field)
        self.assertEqual('name: taken', error.field_message)
        self.assertEqual('name: taken', str(error))
