"""``staffeln-manage report preview``: a project's next digest, unsent."""

import sys
from typing import TextIO

from staffeln.common import context as staffeln_context
from staffeln.conductor import report
from staffeln.conductor import report_render


def preview_command(conf, cloud: report.ReportCloud, project_id: str,
                    fmt: str = report_render.HTML,
                    out: TextIO | None = None) -> int:
    """Print the project's next digest (HTML or text) without sending it.

    It does not change what the next digest covers. The database must be
    configured (``staffeln.db.api.configure``) by the caller. Returns the
    exit code.
    """
    out = out or sys.stdout
    reporter = report.Reporter(conf, cloud)
    text = reporter.render(staffeln_context.get_admin_context(), project_id,
                           fmt)
    out.write(text)
    if not text.endswith('\n'):
        out.write('\n')
    return 0
