"""``staffeln-manage retention preview``, and what a run did.

The preview prints the next run's plan; run-once prints the summary of a
run.
"""

import datetime
import sys
from typing import TextIO

from staffeln.cmd import tables
from staffeln.common import clock as clock_mod
from staffeln.common import context as staffeln_context
from staffeln.common import duration
from staffeln.conductor.retention import planning


def render_preview(rows: list, problems: list, now: datetime.datetime,
                   errors: list | None = None) -> str:
    """The preview as a readable table."""
    table = []
    for task, keep, reason in rows:
        taken = clock_mod.as_utc(task.time)
        minutes = int((now - taken).total_seconds()) // 60
        age = duration.format(datetime.timedelta(minutes=max(minutes, 0)))
        table.append((
            task.project_id[:12],
            task.server_name or task.server_id or '-',
            task.volume_name or task.volume_id,
            task.backup_id or '-',
            task.backup_type,
            taken.strftime('%Y-%m-%d %H:%M'),
            age,
            'keep' if keep else 'DELETE',
            reason))
    deleting = sum(1 for _, keep, _ in rows if not keep)
    out = [f'Retention preview: {len(rows)} backups, {len(rows) - deleting} '
           f'kept, {deleting} to delete.', '',
           tables.render(['project', 'server', 'volume', 'backup', 'type',
                          'taken (UTC)', 'age', 'action', 'why'], table)]
    if problems:
        out += ['', 'Retention override problems:']
        out += [f'  server {p.server_name or p.server_id} (volume '
                f'{p.volume_id}, project {p.project_id}): {p.message}'
                for p in problems]
    for error in errors or ():
        out.append(f'ERROR: {error}')
    return '\n'.join(out)


def preview_command(conf, cloud, project_id: str | None = None,
                    out: TextIO | None = None,
                    clock: clock_mod.Clock | None = None) -> int:
    """``staffeln-manage retention preview``: print the next run's plan."""
    clock = clock or clock_mod.Clock()
    planner = planning.Planner(conf, cloud, clock)
    context = staffeln_context.get_admin_context()
    errors: list[str] = []
    rows = planner.preview(context, project_id, errors)
    problems = planner.override_problems(context, project_id)
    print(render_preview(rows, problems, clock.now(), errors),
          file=out or sys.stdout)
    return 0


def summary(result: planning.RetentionResult) -> str:
    """A run's outcome in a few lines, for ``run-once``."""
    out = [f'Retention: {result.kept} backups kept, {len(result.deleted)} '
           f'deleted, {len(result.pending)} still being deleted, '
           f'{len(result.deferred)} deferred, {len(result.refused)} '
           f'refused by Cinder, {len(result.stuck)} in error_deleting'
           + (f', {result.later} left for later runs' if result.later
              else '') + '.']
    for task, reason in result.refused + result.stuck:
        out.append(f'  backup {task.backup_id} (task {task.uuid}): {reason}')
    for problem in result.problems:
        out.append(f'  server {problem.server_name or problem.server_id}: '
                   f'{problem.message}')
    for error in result.errors:
        out.append(f'ERROR: {error}')
    return '\n'.join(out)
