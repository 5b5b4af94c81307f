"""``staffeln-manage run-once`` and ``plan``: what a cycle did, and what the
next one would do."""

import datetime

from staffeln.cmd.manage import retention as retention_cmd
from staffeln.cmd import tables
from staffeln.common import context as staffeln_context
from staffeln.common import duration


def run_once(mgr) -> int:
    """Run one whole cycle and print what it did; 1 if anything failed."""
    result = mgr.run_once(staffeln_context.get_admin_context())
    print(render_cycle(result))
    if result.retention is not None:
        print(retention_cmd.summary(result.retention))
    return 0 if result.ok else 1


def plan(mgr) -> int:
    """Print what the next cycle would do, changing nothing."""
    print(render_plan(mgr.plan(staffeln_context.get_admin_context())))
    return 0


def render_cycle(result) -> str:
    good = [t for t in result.tasks if t.status == 'available']
    out = [f'Backed up {len(good)} of {len(result.tasks)} volumes due; '
           f'{len(result.failed)} failed, {len(result.skipped)} skipped.',
           '', 'Backups:']
    out.append(tables.render(
        ['project', 'server', 'volume', 'type', 'status', 'backup',
         'reason'],
        [(t.project_id[:12], t.server_name or t.server_id,
          t.volume_name or t.volume_id, t.backup_type, t.status,
          t.backup_id or '-', t.reason or '')
         for t in result.tasks]))
    out += ['', 'Skipped volumes:']
    out.append(tables.render(
        ['project', 'server', 'volume', 'reason'],
        [(c.volume.project_id[:12], c.server.name,
          c.volume.name or c.volume.id, c.skip_reason)
         for c in result.skipped]))
    out += ['', 'Digests:']
    out.append(tables.render(
        ['project', 'period', 'status', 'recipients'],
        [(r.project_id[:12],
          f'{r.period_start:%Y-%m-%d %H:%M} - {r.period_end:%Y-%m-%d %H:%M}',
          r.status + (f' ({r.error})' if r.error else ''),
          ', '.join(r.recipients) or '-')
         for r in result.reports]))
    out.extend(f'ERROR: {error}' for error in result.errors)
    return '\n'.join(out)


def render_plan(rows: list) -> str:
    table = []
    for candidate, decision in rows:
        if decision is None:
            action, why = 'skip', candidate.skip_reason
        elif decision.due:
            action, why = f'back up ({decision.backup_type})', decision.reason
        else:
            action, why = 'wait', decision.reason
        table.append((candidate.volume.project_id[:12], candidate.server.name,
                      candidate.volume.name or candidate.volume.id,
                      duration.format(datetime.timedelta(
                          seconds=candidate.interval_s)),
                      action, why))
    return 'Plan for the next cycle:\n' + tables.render(
        ['project', 'server', 'volume', 'interval', 'action', 'why'], table)
