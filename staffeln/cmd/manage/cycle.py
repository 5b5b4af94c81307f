"""``staffeln-manage run-once`` and ``plan``.

What a cycle did, what the next one would do, and what the backups will
need of each project's quota.
"""

import collections

from staffeln.cmd.manage import retention as retention_cmd
from staffeln.cmd import tables
from staffeln.common import context as staffeln_context
from staffeln.common import duration
from staffeln.common import exception
from staffeln.conductor import forecasting
from staffeln.rules import forecast


def run_once(mgr) -> int:
    """Run one whole cycle and print what it did; 1 if anything failed."""
    result = mgr.run_once(staffeln_context.get_admin_context())
    hooks = getattr(mgr, 'webhooks', None)
    if hooks is not None:
        # The process ends here: the webhooks handed over must go first.
        hooks.dispatcher.drain()
    names = project_names(mgr.cloud, {t.project_id for t in result.tasks} | {
        c.volume.project_id for c in result.skipped})
    print(render_cycle(result, names))
    if result.retention is not None:
        print(retention_cmd.summary(result.retention))
    return 0 if result.ok else 1


def plan(mgr) -> int:
    """Print what the next cycle would do and what it will need."""
    rows = mgr.plan(staffeln_context.get_admin_context())
    candidates = list({id(c): c for c, _, _ in rows}.values())
    names = project_names(mgr.cloud,
                          {c.volume.project_id for c in candidates})
    print(render_plan(rows, names))
    needs = forecasting.Forecaster(mgr.conf).from_candidates(
        candidates, mgr.clock.now())
    print()
    print(render_forecast(needs, _quotas(mgr.cloud, needs), names,
                          candidates))
    print()
    print(render_policy_forecast(
        forecasting.Forecaster(mgr.conf).from_candidates(
            candidates, mgr.clock.now(), by_policy=True), candidates))
    return 0


def project_names(cloud, project_ids) -> dict[str, str]:
    """Each project's name, or its id when Keystone does not say."""
    names = {}
    for project_id in project_ids:
        try:
            names[project_id] = cloud.get_project(project_id)['name']
        except (exception.CloudError, KeyError, TypeError):
            names[project_id] = project_id
    return names


def _quotas(cloud, needs: dict) -> dict[str, dict | None]:
    quotas = {}
    for project_id in needs:
        try:
            quotas[project_id] = cloud.get_backup_quota(project_id)
        except exception.CloudError:
            quotas[project_id] = None
    return quotas


def render_forecast(needs: dict, quotas: dict, names: dict,
                    candidates) -> str:
    """What each project needs at steady state, against its quota."""
    volumes = collections.Counter(c.volume.project_id for c in candidates
                                  if c.eligible)
    rows = []
    for project_id, need in sorted(needs.items(),
                                   key=lambda kv: names.get(kv[0], kv[0])):
        quota = quotas.get(project_id)
        if quota is None:
            status, limits = 'quota unknown', ('?', '?')
        else:
            short = forecast.shortfalls(need, quota)
            status = ('SHORT: ' + '; '.join(str(s) for s in short)
                      if short else 'ok')
            limits = tuple(_limit(quota, key)
                           for key in ('backups', 'backup_gigabytes'))
        rows.append((names.get(project_id, project_id),
                     volumes[project_id], need.backups, limits[0],
                     need.gigabytes, limits[1], status))
    return ('Backup quota at steady state (what the interval and the '
            'retention keep once they have run long enough):\n'
            + tables.render(['project', 'volumes', 'backups needed',
                             'backups limit', 'GB needed', 'GB limit',
                             'status'], rows))


def render_policy_forecast(needs: dict, candidates) -> str:
    """What each policy's volumes need at steady state."""
    volumes = collections.Counter(
        policy.name for c in candidates if c.eligible for policy in c.policies)
    rows = [(name, volumes[name], need.backups, need.gigabytes)
            for name, need in sorted(needs.items())]
    return ('Backup quota at steady state, per policy:\n'
            + tables.render(['policy', 'volumes', 'backups needed',
                             'GB needed'], rows))


def _limit(quota: dict, key: str) -> str:
    limit = quota.get(key, {}).get('limit', -1)
    return 'unlimited' if limit < 0 else str(limit)


def render_cycle(result, names: dict | None = None) -> str:
    names = names or {}
    good = [t for t in result.tasks if t.status == 'available']
    out = [f'Backed up {len(good)} of {len(result.tasks)} volumes due; '
           f'{len(result.failed)} failed, {len(result.skipped)} skipped.',
           '', 'Backups:']
    out.append(tables.render(
        ['project', 'server', 'volume', 'type', 'status', 'backup',
         'reason'],
        [(names.get(t.project_id, t.project_id),
          t.server_name or t.server_id, t.volume_name or t.volume_id,
          t.backup_type, t.status, t.backup_id or '-', t.reason or '')
         for t in result.tasks]))
    out += ['', 'Skipped volumes:']
    out.append(tables.render(
        ['project', 'server', 'volume', 'reason'],
        [(names.get(c.volume.project_id, c.volume.project_id),
          c.server.name, c.volume.name or c.volume.id, c.skip_reason)
         for c in result.skipped]))
    out += ['', 'Digests:']
    out.append(tables.render(
        ['project', 'period', 'status', 'recipients'],
        [(names.get(r.project_id, r.project_id),
          f'{r.period_start:%Y-%m-%d %H:%M} - {r.period_end:%Y-%m-%d %H:%M}',
          r.status + (f' ({r.error})' if r.error else ''),
          ', '.join(r.recipients) or '-')
         for r in result.reports]))
    if result.drills:
        out += ['', 'Restore drills:']
        out.append(tables.render(
            ['project', 'volume', 'backup', 'outcome', 'RTO', 'reason'],
            [(names.get(d.project_id, d.project_id),
              d.volume_name or d.volume_id, d.backup_id,
              d.outcome or d.status,
              '-' if d.rto_s is None else f'{d.rto_s:.0f} s',
              d.reason or '') for d in result.drills]))
    out.extend(f'ERROR: {error}' for error in result.errors)
    return '\n'.join(out)


def _when(at, table) -> str:
    """A time in the policy's zone, and in UTC when that differs."""
    local = at.astimezone(table.tz)
    text = f'{local:%Y-%m-%d %H:%M} {table.timezone}'
    if local.utcoffset():
        text += f' ({at:%H:%M} UTC)'
    return text


def _window(policy, volume_id: str) -> str:
    """The policy's window and the volume's slot in it."""
    table = policy.timetable
    if table.window is None:
        return '-'
    text = f'{table.window} {table.timezone}'
    slot = table.slot(volume_id, policy.name)
    if slot is not None:
        text += f', slot +{duration.format(slot)}'
    return text


def render_plan(rows: list, names: dict | None = None) -> str:
    """One line per volume and policy: what, when, and why."""
    names = names or {}
    table = []
    for candidate, policy, decision in rows:
        window = '-'
        if decision is None:
            action, due, why = 'skip', '-', candidate.skip_reason
        else:
            action = (f'back up ({decision.backup_type})' if decision.due
                      else 'wait')
            due = 'now' if decision.due else _when(decision.next_due,
                                                   policy.timetable)
            why = decision.reason
            window = _window(policy, candidate.volume.id)
        table.append((names.get(candidate.volume.project_id,
                                candidate.volume.project_id),
                      candidate.server.name,
                      candidate.volume.name or candidate.volume.id,
                      policy.name if policy else '-', action, due, window,
                      why))
    return 'Plan for the next cycle:\n' + tables.render(
        ['project', 'server', 'volume', 'policy', 'action', 'next due',
         'window', 'why'], table)
