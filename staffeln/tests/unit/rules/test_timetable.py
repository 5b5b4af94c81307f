"""The schedule engine: cron and shorthands in a time zone, windows, jitter.

Pure: every time is given, no clock is read.
"""

import collections
import datetime
import zoneinfo

import testtools

from staffeln.rules import cron
from staffeln.rules import timetable

UTC = datetime.timezone.utc
BERLIN = zoneinfo.ZoneInfo('Europe/Berlin')
NEW_YORK = zoneinfo.ZoneInfo('America/New_York')


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def local(tz, *args):
    return datetime.datetime(*args, tzinfo=tz)


def runs(expression, after, count, tz=UTC):
    parsed = cron.Cron.parse(expression)
    found = []
    for _ in range(count):
        after = parsed.next_after(after, tz)
        found.append(after)
    return found


class TestCron(testtools.TestCase):

    def test_month_ends(self):
        self.assertEqual(
            [utc(2026, 1, 31, 2), utc(2026, 3, 31, 2), utc(2026, 5, 31, 2)],
            runs('0 2 31 * *', utc(2026, 1, 15), 3))

    def test_leap_day(self):
        self.assertEqual([utc(2028, 2, 29, 0, 30), utc(2032, 2, 29, 0, 30)],
                         runs('30 0 29 2 *', utc(2026, 3, 1), 2))

    def test_weekdays_and_names(self):
        # 2026-03-02 is a Monday.
        self.assertEqual(
            [utc(2026, 3, 2, 2), utc(2026, 3, 4, 2), utc(2026, 3, 6, 2),
             utc(2026, 3, 9, 2)],
            runs('0 2 * * mon,wed,fri', utc(2026, 3, 1), 4))
        self.assertEqual(runs('0 2 * * 1,3,5', utc(2026, 3, 1), 4),
                         runs('0 2 * * mon,wed,fri', utc(2026, 3, 1), 4))
        self.assertEqual(runs('0 2 * * 0', utc(2026, 3, 1), 2),
                         runs('0 2 * * 7', utc(2026, 3, 1), 2))

    def test_steps_ranges_and_either_day_field(self):
        self.assertEqual([utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 0, 20),
                          utc(2026, 1, 1, 0, 40)],
                         runs('*/20 * * * *', utc(2025, 12, 31, 23, 59), 3))
        # Day 1 of the month or any Friday (Vixie cron's rule).
        self.assertEqual([utc(2026, 5, 1), utc(2026, 5, 8), utc(2026, 5, 15)],
                         runs('0 0 1 * fri', utc(2026, 4, 30), 3))

    def test_spring_forward_neither_skips_nor_repeats(self):
        # Europe/Berlin, 2026-03-29: 02:00 becomes 03:00.
        found = runs('30 2 * * *', local(BERLIN, 2026, 3, 28, 12), 3,
                     BERLIN)
        self.assertEqual([local(BERLIN, 2026, 3, 29, 3, 0),
                          local(BERLIN, 2026, 3, 30, 2, 30)], found[:2])
        every_quarter = runs('*/15 2 * * *', local(BERLIN, 2026, 3, 29, 0),
                             2, BERLIN)
        self.assertEqual(utc(2026, 3, 29, 1, 0), every_quarter[0])
        self.assertEqual(utc(2026, 3, 30, 0, 0), every_quarter[1])

    def test_fall_back_runs_once(self):
        # America/New_York, 2026-11-01: 01:00-02:00 happens twice.
        found = runs('30 1 * * *', local(NEW_YORK, 2026, 10, 31, 12), 2,
                     NEW_YORK)
        self.assertEqual([utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
                         found)

    def test_bad_expressions_say_what_is_wrong(self):
        for text, fragment in (('0 2 * *', 'five fields'),
                               ('61 * * * *', 'minute 61'),
                               ('0 24 * * *', 'hour 24'),
                               ('0 0 * 13 *', 'month 13'),
                               ('0 0 * * funday', 'day of week'),
                               ('0 0 5-1 * *', 'backwards'),
                               ('*/0 * * * *', 'step')):
            error = self.assertRaises(cron.InvalidCron, cron.Cron.parse,
                                      text)
            self.assertIn(fragment, str(error), text)


class TestShorthandsAndParsing(testtools.TestCase):

    def test_shorthands_are_cron(self):
        for text, expected in (
                ('daily at 02:00', '0 2 * * *'),
                ('weekly on mon,wed,fri at 02:30', '30 2 * * 1,3,5'),
                ('Weekly on sun at 23:05', '5 23 * * 0'),
                ('hourly at :15', '15 * * * *')):
            self.assertEqual(expected,
                             timetable.Timetable.parse(text).expression.text)

    def test_intervals(self):
        self.assertEqual(datetime.timedelta(hours=6),
                         timetable.Timetable.parse('6h').interval)

    def test_bad_input_names_the_field(self):
        for kwargs, fragment in (
                ({'schedule': 'every tuesday'}, 'schedule:'),
                ({'schedule': '0 2 * *'}, 'schedule:'),
                ({'schedule': '1d', 'timezone': 'Mars/Olympus'},
                 'timezone:'),
                ({'schedule': '1d', 'window': '22:00-22:00'},
                 'window: the window 22:00-22:00 is empty'),
                ({'schedule': '1d', 'window': '25:00-06:00'}, 'window:'),
                ({'schedule': 'weekly on mon,xyz at 02:00'}, 'xyz')):
            error = self.assertRaises(timetable.InvalidSchedule,
                                      timetable.Timetable.parse, **kwargs)
            self.assertIn(fragment, str(error), kwargs)


class TestWindows(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.night = timetable.Timetable.parse(
            '1d', 'Europe/Berlin', '22:00-06:00', jitter=False)

    def test_a_window_spanning_midnight(self):
        for hour, is_open in ((21, False), (22, True), (23, True), (0, True),
                              (5, True), (6, False), (12, False)):
            when = local(BERLIN, 2026, 6, 10, hour, 30)
            self.assertEqual(is_open, self.night.window_open(when), hour)

    def test_due_outside_the_window_waits_for_it(self):
        due = self.night.next_due('v', 'p', None,
                                  local(BERLIN, 2026, 6, 10, 12, 0))
        self.assertEqual(local(BERLIN, 2026, 6, 10, 22, 0), due)
        due = self.night.next_due('v', 'p', None,
                                  local(BERLIN, 2026, 6, 10, 23, 0))
        self.assertEqual(local(BERLIN, 2026, 6, 10, 23, 0), due)

    def test_cron_in_a_window_with_jitter_stays_in_the_window(self):
        weekly = timetable.Timetable.parse(
            '0 22 * * 0', 'Europe/Berlin', '22:00-06:00')
        for number in range(200):
            due = weekly.next_due(f'vol-{number}', 'weekly', None,
                                  local(BERLIN, 2026, 6, 1))
            self.assertTrue(weekly.window_open(due), due)
            # Sunday 22:00 to Monday 06:00.
            self.assertLessEqual(local(BERLIN, 2026, 6, 7, 22), due)
            self.assertLess(due, local(BERLIN, 2026, 6, 8, 6))

    def test_slots_leave_the_conductor_time_to_start_them(self):
        # Discovery every hour, the backup loop every minute: a volume
        # whose slot is 04:59 would be seen at 05:30, after the window.
        margin = datetime.timedelta(hours=1, minutes=1)
        for schedule in ('0 1 * * 1,4', '1d'):
            plan = timetable.Timetable.parse(
                schedule, 'Europe/Berlin', '00:00-05:00', margin=margin)
            latest = max(plan.next_due(f'vol-{n}', 'night', None,
                                       local(BERLIN, 2027, 3, 23, 12))
                         for n in range(500))
            self.assertLessEqual(latest.astimezone(BERLIN).time(),
                                 datetime.time(3, 59), schedule)
            self.assertGreater(latest.astimezone(BERLIN).time(),
                               datetime.time(3, 30), schedule)


class TestJitter(testtools.TestCase):

    def test_a_volume_keeps_its_slot(self):
        plan = timetable.Timetable.parse('1d')
        first = plan.next_due('vol-1', 'gold', utc(2026, 3, 1, 1),
                              utc(2026, 1, 1))
        again = plan.next_due('vol-1', 'gold', utc(2026, 3, 1, 1),
                              utc(2026, 1, 1))
        self.assertEqual(first, again)
        self.assertEqual(first.time(), plan.next_due(
            'vol-1', 'gold', first, utc(2026, 1, 1)).time())

    def test_ten_thousand_volumes_spread_over_a_six_hour_window(self):
        plan = timetable.Timetable.parse('0 0 * * *', 'UTC', '00:00-06:00')
        buckets = collections.Counter()
        for number in range(10000):
            due = plan.next_due(f'{number:08x}-volume', 'nightly', None,
                                utc(2026, 3, 1, 12))
            self.assertTrue(plan.window_open(due))
            buckets[int((due - utc(2026, 3, 2)).total_seconds() // 300)] += 1
        mean = 10000 / 72
        self.assertEqual(72, len(buckets))
        self.assertLessEqual(max(buckets.values()), 3 * mean)
