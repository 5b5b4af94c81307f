"""Readable summaries of a cycle and of a plan, for the operator."""

import datetime

from staffeln.common import duration


def _table(headers: list, rows: list) -> str:
    if not rows:
        return '  (none)'
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    lines = ['  ' + '  '.join(str(h).ljust(w) for h, w in
                              zip(headers, widths))]
    for row in rows:
        lines.append('  ' + '  '.join(str(c).ljust(w)
                                      for c, w in zip(row, widths)))
    return '\n'.join(lines)


def cycle(result) -> str:
    out = []
    good = [t for t in result.tasks if t.status == 'available']
    out.append(f'Backed up {len(good)} of {len(result.tasks)} volumes due; '
               f'{len(result.failed)} failed, {len(result.skipped)} '
               f'skipped.')
    out.append('')
    out.append('Backups:')
    out.append(_table(
        ['project', 'server', 'volume', 'type', 'status', 'backup',
         'reason'],
        [(t.project_id[:12], t.server_name or t.server_id,
          t.volume_name or t.volume_id, t.backup_type, t.status,
          t.backup_id or '-', t.reason or '')
         for t in result.tasks]))
    out.append('')
    out.append('Skipped volumes:')
    out.append(_table(
        ['project', 'server', 'volume', 'reason'],
        [(c.volume.project_id[:12], c.server.name,
          c.volume.name or c.volume.id, c.skip_reason)
         for c in result.skipped]))
    out.append('')
    out.append('Digests:')
    out.append(_table(
        ['project', 'period', 'status', 'recipients'],
        [(r.project_id[:12],
          f'{r.period_start:%Y-%m-%d %H:%M} - {r.period_end:%Y-%m-%d %H:%M}',
          r.status + (f' ({r.error})' if r.error else ''),
          ', '.join(r.recipients) or '-')
         for r in result.reports]))
    for error in result.errors:
        out.append(f'ERROR: {error}')
    return '\n'.join(out)


def plan(rows: list) -> str:
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
    return 'Plan for the next cycle:\n' + _table(
        ['project', 'server', 'volume', 'interval', 'action', 'why'], table)
