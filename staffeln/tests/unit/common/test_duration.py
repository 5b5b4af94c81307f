import datetime

from oslo_config import cfg
import testtools

from staffeln.common import duration


class TestParse(testtools.TestCase):

    def test_every_unit(self):
        self.assertEqual(
            datetime.timedelta(days=365 + 2 * 30 + 3 * 7 + 4, hours=5,
                               minutes=6, seconds=7),
            duration.parse('1y2mon3w4d5h6min7s'))

    def test_single_parts(self):
        for text, expected in (('1d', datetime.timedelta(days=1)),
                               ('6h', datetime.timedelta(hours=6)),
                               ('30min', datetime.timedelta(minutes=30)),
                               ('45s', datetime.timedelta(seconds=45)),
                               ('2w3d', datetime.timedelta(days=17)),
                               ('0s', datetime.timedelta(0)),
                               (' 1D ', datetime.timedelta(days=1))):
            self.assertEqual(expected, duration.parse(text), text)

    def test_rejects_bad_values(self):
        for text in ('', 'd', '1', '1x', '3d2w', '1.5h', '-1d', 'abc',
                     '1 d', '1m', None, 5):
            self.assertRaises(duration.InvalidDuration, duration.parse,
                              text)

    def test_error_names_the_value(self):
        exc = self.assertRaises(duration.InvalidDuration, duration.parse,
                                '3days')
        self.assertIn("'3days'", str(exc))

    def test_huge_values_are_refused_with_a_message(self):
        for text in ('2739727y', '99999999999y', '9' * 5000,
                     '9' * 5000 + 'y', '1' + '0' * 30 + 's',
                     '101y', '36501d'):
            exc = self.assertRaises(duration.InvalidDuration, duration.parse,
                                    text)
            self.assertLess(len(str(exc)), 200, text[:20])
        self.assertIn('longer than the longest duration accepted, 100y',
                      str(self.assertRaises(duration.InvalidDuration,
                                            duration.parse, '2739727y')))
        self.assertEqual(duration.MAXIMUM, duration.parse('100y'))

    def test_format_round_trips(self):
        for text in ('1y2mon3w4d5h6min7s', '1d', '2w3d', '45s', '0s'):
            self.assertEqual(text,
                             duration.format(duration.parse(text)))


class TestDurationOpt(testtools.TestCase):

    def _conf(self, value, **bounds):
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.Opt('interval',
                                  type=duration.Duration(**bounds)))
        conf([])
        conf.set_override('interval', value)
        return conf

    def test_parses_config_values(self):
        self.assertEqual(datetime.timedelta(hours=6),
                         self._conf('6h').interval)

    def test_bad_value_is_a_clear_config_error(self):
        exc = self.assertRaises(ValueError, self._conf, '6 hours')
        self.assertIn('not a duration', str(exc))

    def test_bounds(self):
        self.assertRaises(ValueError, self._conf, '30s', min='1min')
        self.assertRaises(ValueError, self._conf, '2d', max='1d')
        self.assertEqual(datetime.timedelta(minutes=1),
                         self._conf('1min', min='1min').interval)

    def test_bare_integers_are_seconds(self):
        self.assertEqual(datetime.timedelta(hours=1),
                         self._conf('3600').interval)
        self.assertEqual(datetime.timedelta(seconds=60),
                         self._conf(60).interval)

    def test_huge_values_are_one_line(self):
        for value in ('99999999999y', '9' * 5000):
            exc = self.assertRaises(ValueError, self._conf, value)
            self.assertNotIn('\n', str(exc))
            self.assertLess(len(str(exc)), 200)
