"""Email digests: one per project per report period that had news.

Each project's digest state is a row of ``project_reports``: everything
before its ``period_end`` has been reported. A run sends, for every project
whose period has elapsed (``period_end + report_period <= now``), the
digest of ``[period_end, now)`` and moves ``period_end`` to ``now``. A
failed send leaves ``period_end`` alone, so the next run retries that
project (and only that one) with everything since; a period with nothing to
report is passed over silently. A conductor claims a project's digest
before sending it, so two conductors never send the same one.

A digest is delivered at least once: if the database cannot record a
digest that the SMTP server accepted, the next run sends it again.
"""

import dataclasses
import datetime

from oslo_log import log as logging

from staffeln.common import clock as clock_mod
from staffeln.common import email
from staffeln.common import exception
from staffeln.common import notifications
from staffeln.conductor import forecasting
from staffeln.conductor import report_content
from staffeln.conductor import report_render
from staffeln.db import api as db_api
from staffeln.db import api_quotas
from staffeln.db import api_reports

LOG = logging.getLogger(__name__)

SENT = 'sent'
LOGGED = 'logged'
FAILED = 'failed'

ReportCloud = report_content.ReportCloud


class ReportConfigError(exception.ConfigurationError):
    """The ``[notification]`` options contradict each other."""


@dataclasses.dataclass
class ReportResult:
    """What happened to one project's due digest."""

    project_id: str
    period_start: datetime.datetime
    period_end: datetime.datetime
    #: 'sent' (emailed), 'logged' (written to the log: no sender or no
    #: recipient) or 'failed' (retried next run).
    status: str
    recipients: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None


class Reporter:
    """Sends the digests that are due; renders previews."""

    def __init__(self, conf, cloud: ReportCloud,
                 clock: clock_mod.Clock | None = None, notifier=None):
        group = conf.notification
        if group.quota_warning_percent > group.quota_critical_percent:
            raise ReportConfigError(
                f'[notification] quota_warning_percent '
                f'({group.quota_warning_percent:g}) is above '
                f'quota_critical_percent ({group.quota_critical_percent:g})')
        self.conf = conf
        self.cloud = cloud
        self.clock = clock or clock_mod.Clock()
        self.notifier = notifier or notifications.Notifier.disabled()
        self.renderer = report_render.Renderer(conf)
        self.owner = conf.host

    # -- sending -----------------------------------------------------------
    def run(self, context) -> list[ReportResult]:
        """Send every project's due digest.

        One project's failure does not hold up the others.
        """
        now = self.clock.now()
        reports = api_reports.list_reports(context)
        results = []
        for project_id in sorted(api_reports.report_candidates(context)):
            try:
                result = self._run_project(context, project_id,
                                           reports.get(project_id), now)
            except Exception:
                # The database failed before a digest was claimed; the
                # project is looked at again next run.
                LOG.exception('Cannot prepare the digest of project %s',
                              project_id)
                continue
            if result is not None:
                results.append(result)
        self._record_forecasts(context, now)
        return results

    def _record_forecasts(self, context, now) -> None:
        """Keep each project's steady-state need for the metrics."""
        try:
            needs = forecasting.Forecaster(self.conf).from_volumes(
                context, db_api.list_volumes(context), now)
            api_quotas.record_forecasts(context, needs, now)
        except Exception:
            LOG.exception('Cannot record the quota forecasts')

    def _run_project(self, context, project_id, state, now):
        if state is None:
            start = api_reports.first_activity(context, project_id) or now
            state = api_reports.ensure_report(context, project_id,
                                              min(start, now), now)
        since = clock_mod.as_utc(state.period_end)
        if since >= now or now < since + self.conf.notification.report_period:
            return None
        expires = now + self.conf.conductor.claim_timeout
        if not api_reports.claim_report(context, project_id, since,
                                        self.owner, now, expires):
            LOG.debug('The digest of project %s is handled by another '
                      'conductor', project_id)
            return None
        try:
            digest = self._collect(context, project_id, since, now)
            if not digest.has_news:
                api_reports.complete_report(context, project_id, since, now,
                                            self.owner, now, sent=False)
                return None
            result = self._deliver(digest, now)
        except Exception as exc:
            error = str(exc) or exc.__class__.__name__
            LOG.error('Cannot send the digest of project %s for %s to %s, '
                      'it will be retried: %s', project_id,
                      since.isoformat(), now.isoformat(), error,
                      exc_info=not isinstance(exc,
                                              exception.StaffelnException))
            api_reports.fail_report(context, project_id, self.owner, now,
                                    error)
            return ReportResult(project_id=project_id, period_start=since,
                                period_end=now, status=FAILED, error=error)
        if not api_reports.complete_report(context, project_id, since, now,
                                           self.owner, now, sent=True):
            LOG.warning('The digest of project %s was delivered but another '
                        'conductor took it over; it may be delivered twice',
                        project_id)
        if result.status == SENT:
            try:
                self.notifier.report_sent(project_id, result.recipients,
                                          since, now)
            except Exception:
                LOG.exception('Cannot notify that the digest of project %s '
                              'was sent', project_id)
        return result

    def _deliver(self, digest, now) -> ReportResult:
        group = self.conf.notification
        self._complete(digest)
        recipients = report_content.recipients(
            self.conf, self.cloud, digest.project_id, digest.project_name)
        result = ReportResult(project_id=digest.project_id,
                              period_start=digest.period_start,
                              period_end=digest.period_end, status=LOGGED,
                              recipients=recipients)
        if not group.sender or not recipients:
            why = ('[notification] sender is not set' if not group.sender
                   else 'the project has no recipient')
            LOG.info('Digest of project %s (%s), not emailed because %s:\n%s',
                     digest.project, digest.project_id, why,
                     self.renderer.render(digest, report_render.TEXT))
            return result
        message = self.renderer.message(digest, group.sender, recipients,
                                        now)
        email.send(self.conf, message, recipients)
        LOG.info('Sent the digest of project %s (%s) for %s to %s to %d '
                 'recipients', digest.project, digest.project_id,
                 digest.period_start.isoformat(),
                 digest.period_end.isoformat(), len(recipients))
        result.status = SENT
        return result

    # -- content -----------------------------------------------------------
    def _collect(self, context, project_id, since, until):
        digest = report_content.collect(
            context, project_id, since, until,
            self.conf.notification.out_of_policy_grace)
        needs = forecasting.Forecaster(self.conf).from_volumes(
            context, api_reports.project_volumes(context, project_id), until)
        digest.need = needs.get(project_id)
        return digest

    def _complete(self, digest) -> None:
        """Add the project's name and quota usage from OpenStack.

        The project lookup must work (its name addresses the digest) unless
        the project is gone; the quota is shown as unavailable when it
        cannot be read.
        """
        try:
            project = self.cloud.get_project(digest.project_id) or {}
        except exception.NotFound:
            # Deleted from Keystone: whoever still gets the digest (the
            # fixed receivers) learns what happened to its backups.
            LOG.warning('Project %s no longer exists; its digest only goes '
                        'to [notification] receivers', digest.project_id)
            project = {}
        digest.project_name = project.get('name')
        digest.domain_id = project.get('domain_id')
        if digest.quota is None:
            self._read_quota(digest)

    def _read_quota(self, digest) -> None:
        """The quota lines of the digest, with the forecast."""
        group = self.conf.notification
        try:
            quota = self.cloud.get_backup_quota(digest.project_id)
        except Exception as exc:
            LOG.warning('Cannot read the backup quota of project %s for its '
                        'digest: %s', digest.project_id, exc)
            digest.quota_error = str(exc) or exc.__class__.__name__
            return
        digest.quota = report_content.quota_lines(
            quota or {}, group.quota_warning_percent,
            group.quota_critical_percent, digest.need)

    # -- preview -----------------------------------------------------------
    def next_digest(self, context,
                    project_id: str) -> report_content.Digest:
        """The digest the project would get if it were sent now."""
        now = self.clock.now()
        state = api_reports.get_report(context, project_id)
        if state is not None:
            since = clock_mod.as_utc(state.period_end)
        else:
            since = api_reports.first_activity(context, project_id) or now
        since = min(since, now)
        digest = self._collect(context, project_id, since, now)
        self._complete(digest)
        return digest

    def render(self, context, project_id: str,
               fmt: str = report_render.HTML) -> str:
        """The project's next digest, rendered, without sending it."""
        if fmt not in report_render.FORMATS:
            raise ValueError(f'unknown digest format {fmt!r}; expected one '
                             f'of {", ".join(report_render.FORMATS)}')
        return self.renderer.render(self.next_digest(context, project_id),
                                    fmt)
