#!/usr/bin/env python3
"""Render a sample email digest and take a screenshot of it.

The digest is rendered with Staffeln's built-in templates (or those of
``--template-dir``) from made-up but realistic data, written to an HTML
file, and photographed by headless Chromium::

    python tools/render_digest_screenshot.py \\
        --output doc/source/_static/email-digest.png

Needs Chromium (``apt-get install chromium``); ``--html-only`` skips the
screenshot.
"""

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile

from oslo_config import cfg

from staffeln.conductor import report_content as content
from staffeln.conductor import report_render
from staffeln import conf as staffeln_conf

START = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
MIN = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu',
                  '--disable-background-networking',
                  '--disable-component-update', '--disable-sync',
                  '--no-first-run', '--hide-scrollbars')


def sample_digest() -> content.Digest:
    """A day of a small web shop's project."""
    def ref(volume, server, vid, sid):
        return dict(volume_id=vid, volume_name=volume, server_id=sid,
                    server_name=server)
    web1 = ref('web-1-root', 'web-1', '3f1c2a9e-6b1d-4f0e-9c55-0d2b1e7a4c11',
               '8a7d6c5b-1111-4a2b-9c3d-2e1f0a9b8c7d')
    web2 = ref('web-2-root', 'web-2', '5b2e8d41-0c7a-4e39-b6f1-7a9c3d2e1f00',
               '9b8e7d6c-2222-4b3c-8d4e-3f2a1b0c9d8e')
    db = ref('db-data', 'db-1', 'c7a1e3f5-9d2b-4c6e-8a0f-1b3d5f7a9c2e',
             'ab9f8e7d-3333-4c4d-9e5f-4a3b2c1d0e9f')
    logs = ref('db-logs', 'db-1', 'e2d4f6a8-1c3e-4a5b-9d7f-0b2d4f6a8c1e',
               'ab9f8e7d-3333-4c4d-9e5f-4a3b2c1d0e9f')
    scratch = ref('db-scratch', 'db-1',
                  'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b',
                  'ab9f8e7d-3333-4c4d-9e5f-4a3b2c1d0e9f')

    def backup(volume, backup_id, kind, size, at, took):
        return content.BackupLine(
            **volume, backup_id=backup_id, backup_name=None,
            backup_type=kind, size_gb=size, started_at=at - took,
            finished_at=at)

    at = START + 2 * 60 * MIN
    return content.Digest(
        project_id='6c1f5e0a9b8d4c3e2f1a0b9c8d7e6f5a',
        project_name='webshop-prod', domain_id='default',
        period_start=START, period_end=START + DAY,
        backups=[
            backup(web1, 'a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b',
                   'incremental', 20, at + 4 * MIN, 4 * MIN),
            backup(web2, 'a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a5b',
                   'incremental', 20, at + 6 * MIN, 5 * MIN),
            backup(db, 'a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a5b', 'full',
                   500, at + 95 * MIN, 93 * MIN),
        ],
        failures=[content.FailureLine(
            **logs, backup_id=None, backup_type='incremental',
            reason='Cinder reported the backup in error: Connection to '
                   'the object store timed out', finished_at=at + 96 * MIN)],
        deletions=[content.DeletionLine(
            **db, backup_id='9f8e7d6c-0000-4b5a-9c8d-7e6f5a4b3c2d',
            backup_name=None, backup_type='full', size_gb=500,
            finished_at=START - 14 * DAY + at.hour * 60 * MIN,
            deleted_at=at + 97 * MIN)],
        out_of_policy=[content.OutOfPolicyLine(
            **logs, interval=DAY, last_backup_at=START - 2 * DAY + 3 * 60 *
            MIN, age=3 * DAY - 3 * 60 * MIN)],
        skipped=[content.SkippedLine(
            **scratch, reason='volume metadata backup_skip=yes')],
        problems=[content.ProblemLine(
            server_id=web2['server_id'], server_name='web-2',
            errors=['backup_retention "3x" is not a duration; the default '
                    '2w is used'])],
        quota=content.quota_lines({
            'backups': {'limit': 50, 'in_use': 31, 'reserved': 1},
            'backup_gigabytes': {'limit': 2000, 'in_use': 1720,
                                 'reserved': 20},
        }, 50, 80),
    )


def render_html(template_dir: str | None = None) -> str:
    conf = cfg.ConfigOpts()
    staffeln_conf.register_opts(conf)
    conf([], project='staffeln', default_config_files=[],
         default_config_dirs=[])
    conf.set_override('host', 'backup-ctl-1')
    if template_dir:
        conf.set_override('template_dir', template_dir, 'notification')
    return report_render.Renderer(conf).render(sample_digest(), 'html')


def screenshot(html_file: str, output: str, chromium: str, width: int,
               height: int) -> None:
    command = [chromium, *CHROMIUM_FLAGS,
               f'--screenshot={os.path.abspath(output)}',
               f'--window-size={width},{height}',
               'file://' + os.path.abspath(html_file)]
    subprocess.run(command, check=True, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--output', default=os.path.join(
        'doc', 'source', '_static', 'email-digest.png'),
        help='PNG file to write (default: %(default)s).')
    parser.add_argument('--html', help='Also keep the rendered HTML here.')
    parser.add_argument('--html-only', action='store_true',
                        help='Only render the HTML (needs --html).')
    parser.add_argument('--template-dir',
                        help='Operator templates to render instead.')
    parser.add_argument('--chromium', default=(
        shutil.which('chromium') or shutil.which('chromium-browser')
        or shutil.which('google-chrome') or 'chromium'),
        help='Chromium binary (default: %(default)s).')
    parser.add_argument('--width', type=int, default=900)
    parser.add_argument('--height', type=int, default=1200)
    args = parser.parse_args(argv)
    if args.html_only and not args.html:
        parser.error('--html-only needs --html')

    html = render_html(args.template_dir)
    if args.html:
        with open(args.html, 'w', encoding='utf-8') as f:
            f.write(html)
    if args.html_only:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        html_file = os.path.join(tmp, 'email-digest.html')
        with open(html_file, 'w', encoding='utf-8') as f:
            f.write(html)
        screenshot(html_file, args.output, args.chromium, args.width,
                   args.height)
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
