"""The retention rules, with plain data and an injected clock."""

import datetime

import testtools

from staffeln.common import clock as clock_mod
from staffeln.db import states
from staffeln.rules import retention as rp

UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
FOREVER = datetime.timedelta(days=100 * 365)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


class PlanTestCase(testtools.TestCase):
    """Backups of one volume, made at times relative to a manual clock."""

    def setUp(self):
        super().setUp()
        self.clock = clock_mod.ManualClock(at(2026, 3, 15, 12, 0))
        self.items = []

    def add(self, when, status=states.AVAILABLE, parent=None) -> int:
        """A backup made at ``when`` (a datetime, or a timedelta ago)."""
        if isinstance(when, datetime.timedelta):
            when = self.clock.now() - when
        item_id = len(self.items) + 1
        self.items.append(rp.Item(item_id, when, status, parent))
        return item_id

    def plan(self, retention=14 * DAY, keep=None, ceiling=None, min_good=1,
             exists=True) -> dict:
        rules = rp.Rules(retention=retention, keep=keep or rp.Keep(),
                         ceiling=ceiling, min_good=min_good)
        return {v.id: v for v in rp.plan(self.items, rules,
                                         self.clock.now(), exists)}

    def kept(self, verdicts) -> set:
        return {i for i, v in verdicts.items() if v.keep}

    def due(self, verdicts) -> set:
        return {i for i, v in verdicts.items() if not v.keep}


class TestTimeRule(PlanTestCase):

    def test_backups_older_than_retention_are_due(self):
        ids = [self.add(d * DAY) for d in range(30)]
        verdicts = self.plan()
        self.assertEqual(set(ids[:15]), self.kept(verdicts))
        self.assertEqual(set(ids[15:]), self.due(verdicts))
        self.assertEqual('within 2w', verdicts[ids[3]].reason)
        self.assertEqual('older than 2w', verdicts[ids[20]].reason)

    def test_the_boundary_is_kept_and_a_second_more_is_due(self):
        newest = self.add(HOUR)
        edge = self.add(14 * DAY)
        past = self.add(14 * DAY + datetime.timedelta(seconds=1))
        verdicts = self.plan()
        self.assertEqual({newest, edge}, self.kept(verdicts))
        self.assertEqual({past}, self.due(verdicts))

    def test_the_verdicts_move_with_the_clock(self):
        first = self.add(DAY)
        second = self.add(0 * DAY)
        self.assertEqual(set(), self.due(self.plan()))
        self.clock.advance(13 * DAY)
        self.assertEqual(set(), self.due(self.plan()))
        self.clock.advance(datetime.timedelta(seconds=1))
        self.assertEqual({first}, self.due(self.plan()))
        self.clock.advance(30 * DAY)
        # The last good backup is kept however old.
        self.assertEqual({first}, self.due(self.plan()))
        self.assertEqual('last good backup',
                         self.plan()[second].reason)

    def test_failed_and_deleted_tasks_are_ignored(self):
        good = self.add(20 * DAY)
        self.add(2 * DAY, status=states.FAILED)
        self.add(1 * DAY, status=states.DELETED)
        verdicts = self.plan()
        self.assertEqual([good], list(verdicts))
        self.assertTrue(verdicts[good].keep)  # the only good backup


class TestFloor(PlanTestCase):

    def test_last_good_backup_is_kept_however_old(self):
        old = [self.add(d * 100 * DAY) for d in (3, 2, 1)]
        verdicts = self.plan()
        self.assertEqual({old[2]}, self.kept(verdicts))
        self.assertEqual('last good backup', verdicts[old[2]].reason)

    def test_floor_is_configurable_upward(self):
        old = [self.add(d * 100 * DAY) for d in (4, 3, 2, 1)]
        verdicts = self.plan(min_good=3)
        self.assertEqual(set(old[1:]), self.kept(verdicts))
        self.assertEqual('one of the last 3 good backups',
                         verdicts[old[1]].reason)

    def test_floor_counts_only_good_backups(self):
        good = self.add(30 * DAY)
        self.add(DAY, status=states.FAILED)
        self.add(2 * HOUR, status=states.CREATING)
        self.assertEqual({good}, self.kept(self.plan()))

    def test_no_floor_for_a_volume_that_is_gone(self):
        old = [self.add(d * 100 * DAY) for d in (2, 1)]
        verdicts = self.plan(exists=False)
        self.assertEqual(set(old), self.due(verdicts))
        self.assertIn('the volume is gone', verdicts[old[1]].reason)

    def test_gone_volume_still_keeps_what_the_rules_keep(self):
        recent = self.add(DAY)
        old = self.add(30 * DAY)
        verdicts = self.plan(exists=False)
        self.assertEqual(({recent}, {old}),
                         (self.kept(verdicts), self.due(verdicts)))

    def test_floor_keeps_the_chain_of_an_incremental(self):
        full = self.add(40 * DAY)
        inc1 = self.add(39 * DAY, parent=full)
        inc2 = self.add(38 * DAY, parent=inc1)
        verdicts = self.plan()
        self.assertEqual({full, inc1, inc2}, self.kept(verdicts))
        self.assertEqual('needed by kept incremental task 3',
                         verdicts[inc1].reason)
        self.assertEqual('needed by kept incremental task 2',
                         verdicts[full].reason)


class TestKeepRules(PlanTestCase):
    """restic's semantics, edge cases included."""

    def setUp(self):
        super().setUp()
        # Nothing is kept by time: only the keep rules (and the floor).
        self.retention = datetime.timedelta(0)

    def keep(self, **rules):
        return self.kept(self.plan(retention=self.retention,
                                   keep=rp.Keep(**rules)))

    def test_keep_last(self):
        ids = [self.add(d * HOUR) for d in range(10)]
        self.assertEqual(set(ids[:3]), self.keep(last=3))

    def test_daily_keeps_the_newest_of_each_day(self):
        ids = {}
        for day in range(10):
            for hour in (2, 10, 20):
                ids[(day, hour)] = self.add(at(2026, 3, 5 + day, hour))
        kept = self.keep(daily=7)
        self.assertEqual({ids[(day, 20)] for day in range(3, 10)}, kept)

    def test_days_without_backups_are_skipped_not_counted(self):
        days = (1, 2, 5, 9, 10)
        ids = [self.add(at(2026, 3, d, 6)) for d in days]
        self.assertEqual(set(ids[1:]), self.keep(daily=4))

    def test_ties_within_a_bucket_go_to_the_newest(self):
        when = at(2026, 3, 10, 8)
        older = self.add(when)
        newer = self.add(when)   # same time: the later task wins
        earlier = self.add(at(2026, 3, 10, 7))
        self.add(at(2026, 3, 11, 7))
        kept = self.keep(daily=2)
        self.assertIn(newer, kept)
        self.assertNotIn(older, kept)
        self.assertNotIn(earlier, kept)

    def test_too_few_buckets_keep_the_oldest_backup_too(self):
        # Three days with backups and a rule for seven: the newest of each
        # day, and the oldest backup of all as well (restic 0.17).
        ids = [self.add(at(2026, 3, d, h)) for d in (12, 13, 14)
               for h in (1, 13)]
        verdicts = self.plan(retention=self.retention,
                             keep=rp.Keep(daily=7))
        self.assertEqual({ids[1], ids[3], ids[5], ids[0]},
                         self.kept(verdicts))
        self.assertIn('oldest backup', verdicts[ids[0]].reason)

    def test_filled_rule_does_not_keep_the_oldest(self):
        ids = [self.add(at(2026, 3, d, 1)) for d in (10, 11, 12, 13)]
        self.assertEqual(set(ids[2:]), self.keep(daily=2))

    def test_weekly_uses_iso_weeks_across_the_new_year(self):
        # 2025-12-29 (Monday) is in ISO week 2026-W01, with 2026-01-02.
        ids = [self.add(at(2025, 12, 28, 12)),   # 2025-W52 (Sunday)
               self.add(at(2025, 12, 29, 12)),   # 2026-W01
               self.add(at(2026, 1, 2, 12)),     # 2026-W01
               self.add(at(2026, 1, 5, 12))]     # 2026-W02
        verdicts = self.plan(retention=self.retention,
                             keep=rp.Keep(weekly=3))
        self.assertEqual({ids[0], ids[2], ids[3]}, self.kept(verdicts))
        self.assertEqual('keep_weekly 2026-W01', verdicts[ids[2]].reason)

    def test_monthly_and_yearly(self):
        ids = {}
        for year in (2023, 2024, 2025, 2026):
            for month in range(1, 13):
                when = at(year, month, 15)
                if when <= self.clock.now():
                    ids[(year, month)] = self.add(when)
        kept = self.keep(monthly=6, yearly=5)
        expected = {ids[(2026, m)] for m in (1, 2, 3)}
        expected |= {ids[(2025, m)] for m in (10, 11, 12)}
        # Years 2026 and 2025 are kept by the months already; then the
        # newest of 2024 and 2023, and with one year left and no more
        # years, the oldest backup.
        expected |= {ids[(2024, 12)], ids[(2023, 12)], ids[(2023, 1)]}
        self.assertEqual(expected, kept)

    def test_hourly_buckets_are_utc_hours(self):
        ids = [self.add(at(2026, 3, 15, 10, m)) for m in (5, 35)]
        ids += [self.add(at(2026, 3, 15, 11, m)) for m in (5, 35)]
        self.assertEqual({ids[1], ids[3]}, self.keep(hourly=2))

    def test_a_backup_kept_by_any_rule_is_kept_with_every_reason(self):
        ids = [self.add(at(2026, 3, d, 12)) for d in range(1, 15)]
        verdicts = self.plan(retention=3 * DAY,
                             keep=rp.Keep(last=1, weekly=2))
        newest = verdicts[ids[-1]]
        self.assertEqual('within 3d; keep_last 1; keep_weekly 2026-W11',
                         newest.reason)
        # Within 3 days: 12, 13, 14 March (and 15 March 12:00 is now).
        self.assertEqual({ids[-1], ids[-2], ids[-3], ids[7]},
                         self.kept(verdicts))

    def test_due_reason_names_the_rules(self):
        ids = [self.add(at(2026, 3, d, 12)) for d in (1, 2, 3)]
        verdicts = self.plan(retention=self.retention,
                             keep=rp.Keep(last=1, daily=1))
        self.assertEqual('older than 0s, kept by no keep rule '
                         '(last=1,daily=1)', verdicts[ids[0]].reason)

    def test_ceiling_cuts_keep_rules(self):
        ids = [self.add(at(2026, m, 1)) for m in (1, 2, 3)]
        old = self.add(at(2025, 6, 1))
        verdicts = self.plan(retention=self.retention,
                             keep=rp.Keep(monthly=12),
                             ceiling=datetime.timedelta(days=60))
        self.assertEqual({ids[1], ids[2]}, self.kept(verdicts))
        self.assertIn('older than the maximum retention 2mon',
                      verdicts[old].reason)

    def test_ceiling_does_not_cut_the_floor(self):
        only = self.add(at(2020, 1, 1))
        verdicts = self.plan(retention=self.retention,
                             keep=rp.Keep(yearly=10),
                             ceiling=datetime.timedelta(days=365))
        self.assertEqual({only}, self.kept(verdicts))
        self.assertEqual('last good backup', verdicts[only].reason)


class TestChains(PlanTestCase):

    def chain(self, start_days_ago, length):
        """A full and ``length - 1`` incrementals, one a day."""
        ids = []
        parent = None
        for n in range(length):
            parent = self.add((start_days_ago - n) * DAY, parent=parent)
            ids.append(parent)
        return ids

    def test_a_due_chain_is_deleted_children_first(self):
        old = self.chain(40, 3)
        self.chain(3, 3)
        verdicts = self.plan()
        self.assertEqual(set(old), self.due(verdicts))
        ranks = {i: verdicts[i].rank for i in old}
        self.assertEqual({old[0]: 2, old[1]: 1, old[2]: 0}, ranks)
        self.assertEqual(frozenset({old[1]}), verdicts[old[0]].after)
        self.assertEqual(frozenset(), verdicts[old[2]].after)

    def test_a_kept_incremental_keeps_its_ancestors(self):
        full, inc1, inc2 = self.chain(15, 3)  # inc2 is 13 days old
        verdicts = self.plan()
        self.assertEqual({full, inc1, inc2}, self.kept(verdicts))
        self.assertEqual('within 2w', verdicts[inc2].reason)
        self.assertIn('needed by kept incremental task 2',
                      verdicts[full].reason)

    def test_the_chain_goes_once_the_last_incremental_is_due(self):
        full, inc1, inc2 = self.chain(15, 3)
        self.add(DAY)  # a newer full backup carries the floor
        self.clock.advance(DAY + datetime.timedelta(seconds=1))
        self.assertEqual({full, inc1, inc2}, self.due(self.plan()))

    def test_a_kept_middle_keeps_its_parent_not_its_child(self):
        full = self.add(at(2026, 1, 30))
        inc1 = self.add(at(2026, 1, 31), parent=full)
        inc2 = self.add(at(2026, 2, 1), parent=inc1)
        later = self.add(at(2026, 2, 2))
        newest = self.add(at(2026, 3, 10))
        verdicts = self.plan(retention=datetime.timedelta(0),
                             keep=rp.Keep(monthly=3))
        self.assertEqual({newest, later, inc1, full}, self.kept(verdicts))
        self.assertEqual('keep_monthly 2026-01', verdicts[inc1].reason)
        self.assertEqual(f'needed by kept incremental task {inc1}',
                         verdicts[full].reason)
        self.assertEqual((False, 0, frozenset()),
                         (verdicts[inc2].keep, verdicts[inc2].rank,
                          verdicts[inc2].after))

    def test_an_incremental_in_progress_keeps_its_parent(self):
        full = self.add(30 * DAY)
        inc = self.add(29 * DAY, parent=full)
        self.add(DAY)
        for status in (states.QUEUED, states.STARTING, states.CREATING):
            self.items[inc - 1] = rp.Item(inc, self.items[inc - 1].time,
                                          status, full)
            verdicts = self.plan()
            self.assertTrue(verdicts[full].keep, status)
            self.assertEqual(f'needed by incremental task {inc} ({status})',
                             verdicts[full].reason)

    def test_a_child_being_removed_must_be_gone_first(self):
        full = self.add(30 * DAY)
        deleting = self.add(29 * DAY, status=states.DELETING, parent=full)
        cleanup = self.add(28 * DAY, status=states.CLEANUP, parent=full)
        self.add(DAY)
        verdicts = self.plan()
        self.assertFalse(verdicts[full].keep)
        self.assertEqual(frozenset({deleting, cleanup}),
                         verdicts[full].after)
        self.assertEqual(1, verdicts[full].rank)
        self.assertEqual('being deleted', verdicts[deleting].reason)
        self.assertNotIn(cleanup, verdicts)

    def test_branches_of_several_depths(self):
        full = self.add(50 * DAY)
        a1 = self.add(49 * DAY, parent=full)
        a2 = self.add(48 * DAY, parent=a1)
        a3 = self.add(47 * DAY, parent=a2)
        b1 = self.add(46 * DAY, parent=full)
        self.add(DAY)
        verdicts = self.plan()
        self.assertEqual({full, a1, a2, a3, b1}, self.due(verdicts))
        self.assertEqual(3, verdicts[full].rank)
        self.assertEqual(frozenset({a1, b1}), verdicts[full].after)
        self.assertEqual(0, verdicts[b1].rank)
        # Deleting by rank always deletes a child before its parent.
        order = sorted(self.due(verdicts), key=lambda i: verdicts[i].rank)
        for item in self.items:
            if item.parent_id in order and item.id in order:
                self.assertLess(order.index(item.id),
                                order.index(item.parent_id))

    def test_a_very_deep_chain(self):
        ids = self.chain(5000, 3000)
        self.add(DAY)
        verdicts = self.plan()
        self.assertEqual(set(ids), self.due(verdicts))
        self.assertEqual(2999, verdicts[ids[0]].rank)

    def test_a_parent_of_another_volume_or_a_cycle_is_ignored(self):
        lone = self.add(30 * DAY, parent=999)
        self.add(DAY)
        loop_a = self.add(40 * DAY, parent=5)
        loop_b = self.add(41 * DAY, parent=loop_a)
        self.assertEqual(5, loop_b + 1)
        self.items.append(rp.Item(5, self.clock.now() - 42 * DAY,
                                  states.AVAILABLE, loop_b))
        verdicts = self.plan()
        self.assertEqual({lone, loop_a, loop_b, 5}, self.due(verdicts))


class TestParseKeep(testtools.TestCase):

    def test_forms(self):
        expected = rp.Keep(daily=7, weekly=4, monthly=12)
        for text in ('daily=7,weekly=4,monthly=12',
                     'daily=7, weekly=4, monthly=12',
                     'monthly=12;weekly=4;daily=7',
                     'keep_daily=7 keep_weekly=4 keep_monthly=12',
                     'DAILY:7,Weekly:4,monthly=12,'):
            self.assertEqual(expected, rp.parse_keep(text), text)

    def test_zero_is_an_unused_rule(self):
        self.assertEqual(rp.Keep(last=2), rp.parse_keep('last=2,daily=0'))
        self.assertFalse(rp.parse_keep('daily=0'))

    def test_invalid(self):
        for text, message in (
                ('', 'is not a list of keep rules'),
                ('daily', 'is not a keep rule'),
                ('hourly=1,secondly=4', "'secondly' is not a keep rule"),
                ('daily=-1', 'whole number'),
                ('daily=seven', 'whole number'),
                ('daily=1.5', 'whole number'),
                ('daily=10000000', 'whole number'),
                ('daily=1,daily=2', 'daily is given twice')):
            exc = self.assertRaises(rp.InvalidKeep, rp.parse_keep, text)
            self.assertIn(message, str(exc), text)

    def test_str(self):
        self.assertEqual('daily=7,weekly=4', str(rp.Keep(daily=7, weekly=4)))
        self.assertEqual('none', str(rp.Keep()))


class TestResolve(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.default = rp.Rules(retention=14 * DAY,
                                keep=rp.Keep(daily=7), min_good=2)
        self.bounds = rp.Bounds(7 * DAY, 365 * DAY)

    def resolve(self, retention=None, keep=None):
        return rp.resolve({'backup_retention': retention,
                           'backup_keep': keep}, self.default, self.bounds)

    def test_no_override_is_the_default_with_the_ceiling(self):
        for overrides in (None, {}, {'backup_retention': None}):
            resolved = rp.resolve(overrides, self.default, self.bounds)
            self.assertEqual([], resolved.problems)
            self.assertEqual(rp.Rules(14 * DAY, rp.Keep(daily=7),
                                      ceiling=365 * DAY, min_good=2),
                             resolved.rules)

    def test_overrides_within_the_bounds(self):
        resolved = self.resolve('30d', 'weekly=4,monthly=6')
        self.assertEqual([], resolved.problems)
        self.assertEqual(30 * DAY, resolved.rules.retention)
        self.assertEqual(rp.Keep(weekly=4, monthly=6), resolved.rules.keep)

    def test_shorter_than_the_floor_is_raised_to_it(self):
        resolved = self.resolve('1d')
        self.assertEqual(7 * DAY, resolved.rules.retention)
        self.assertEqual(['backup_retention 1d is shorter than the minimum '
                          '1w; using the minimum'], resolved.problems)

    def test_zero_is_allowed_when_the_floor_is_zero(self):
        self.bounds = rp.Bounds(datetime.timedelta(0), 365 * DAY)
        resolved = self.resolve('0s', 'last=3')
        self.assertEqual(([], datetime.timedelta(0), rp.Keep(last=3)),
                         (resolved.problems, resolved.rules.retention,
                          resolved.rules.keep))

    def test_longer_than_the_ceiling_is_lowered_to_it(self):
        resolved = self.resolve('2y')
        self.assertEqual(365 * DAY, resolved.rules.retention)
        self.assertEqual(['backup_retention 2y is longer than the maximum '
                          '1y; using the maximum'], resolved.problems)

    def test_invalid_values_are_reported_and_the_default_applies(self):
        resolved = self.resolve('two weeks', 'daily=7,forever=1')
        self.assertEqual(self.default.retention, resolved.rules.retention)
        self.assertEqual(self.default.keep, resolved.rules.keep)
        self.assertEqual(2, len(resolved.problems))
        self.assertTrue(resolved.problems[0].startswith(
            "backup_retention ignored: 'two weeks' is not a duration"))
        self.assertIn('using the default 2w', resolved.problems[0])
        self.assertEqual("backup_keep ignored: 'forever' is not a keep rule "
                         "(rules: last, hourly, daily, weekly, monthly, "
                         "yearly); using the default keep rules (daily=7)",
                         resolved.problems[1])

    def test_one_bad_key_does_not_void_the_other(self):
        resolved = self.resolve('30d', 'daily=x')
        self.assertEqual(30 * DAY, resolved.rules.retention)
        self.assertEqual(self.default.keep, resolved.rules.keep)
        self.assertEqual(1, len(resolved.problems))

    def test_keep_rules_reaching_past_the_ceiling_are_reported(self):
        resolved = self.resolve(keep='daily=7,monthly=24,yearly=1')
        self.assertEqual(rp.Keep(daily=7, monthly=24, yearly=1),
                         resolved.rules.keep)
        self.assertEqual(['backup_keep monthly=24 reaches past the maximum '
                          'retention 1y; backups older than that are not '
                          'kept'], resolved.problems)

    def test_describe(self):
        self.assertEqual('retention 2w, keep daily=7',
                         self.default.describe())
