"""Rendering digests with Jinja2 and wrapping them into an email.

Templates: ``digest.html``, ``digest.txt`` and ``digest_subject.txt``, from
``[notification] template_dir`` first, then the built-in ones in
``staffeln/templates``. Each gets ``digest`` (a
:class:`~staffeln.conductor.report_content.Digest`), ``colours`` (the
quota level colours), ``thresholds``, ``max_rows``, ``host``,
``opt_in_key`` and ``skip_key`` (the server and volume metadata keys).
"""

import datetime
from email.message import EmailMessage
from email import policy
from email import utils as email_utils

import jinja2

from staffeln.common import clock
from staffeln.common import duration
from staffeln.conductor import report_content

HTML = 'html'
TEXT = 'text'
FORMATS = (HTML, TEXT)
TEMPLATES = {HTML: 'digest.html', TEXT: 'digest.txt'}
SUBJECT_TEMPLATE = 'digest_subject.txt'

#: Background and text colour of each quota level, readable in print and
#: in mail clients that drop stylesheets (the styles are inline).
COLOURS = {
    report_content.GREEN: {'background': '#d4edda', 'text': '#155724'},
    report_content.YELLOW: {'background': '#fff3cd', 'text': '#7a5d00'},
    report_content.RED: {'background': '#f8d7da', 'text': '#721c24'},
}

#: Most rows shown per section; the rest are counted.
MAX_ROWS = 200


def _when(value: datetime.datetime | None) -> str:
    if value is None:
        return '-'
    return clock.as_utc(value).strftime('%Y-%m-%d %H:%M UTC')


def _duration(value: datetime.timedelta | None) -> str:
    if value is None:
        return '-'
    return duration.format(value)


def _size(value: int | None) -> str:
    if value is None:
        return '-'
    return f'{value} GB'


class Renderer:
    """Renders digests with the operator's or the built-in templates."""

    def __init__(self, conf):
        self.conf = conf
        loaders = []
        if conf.notification.template_dir:
            loaders.append(jinja2.FileSystemLoader(
                conf.notification.template_dir))
        loaders.append(jinja2.PackageLoader('staffeln', 'templates'))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(['html']),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True)
        self.env.filters['when'] = _when
        self.env.filters['duration'] = _duration
        self.env.filters['size'] = _size
        self.env.filters['count'] = count

    def _context(self, digest) -> dict:
        group = self.conf.notification
        return {
            'digest': digest,
            'colours': COLOURS,
            'thresholds': {'warning': group.quota_warning_percent,
                           'critical': group.quota_critical_percent},
            'max_rows': MAX_ROWS,
            'host': self.conf.host,
            'opt_in_key': self.conf.conductor.backup_metadata_key,
            'skip_key': self.conf.conductor.skip_metadata_key,
        }

    def render(self, digest, fmt: str = HTML) -> str:
        if fmt not in TEMPLATES:
            raise ValueError(f'unknown digest format {fmt!r}; expected one '
                             f'of {", ".join(FORMATS)}')
        template = self.env.get_template(TEMPLATES[fmt])
        return template.render(**self._context(digest))

    def subject(self, digest) -> str:
        template = self.env.get_template(SUBJECT_TEMPLATE)
        text = template.render(**self._context(digest))
        # A header is one line.
        return ' '.join(text.split())

    def message(self, digest, sender: str, recipients: list[str],
                now: datetime.datetime) -> EmailMessage:
        """The digest as a multipart/alternative email (text, then HTML)."""
        msg = EmailMessage(policy=policy.SMTP)
        msg['Subject'] = self.subject(digest)
        msg['From'] = sender
        msg['To'] = ', '.join(recipients)
        msg['Date'] = email_utils.format_datetime(clock.as_utc(now))
        domain = sender.rpartition('@')[2] or self.conf.host
        msg['Message-ID'] = email_utils.make_msgid('staffeln', domain=domain)
        # RFC 3834: keeps vacation responders from answering.
        msg['Auto-Submitted'] = 'auto-generated'
        msg['X-Staffeln-Project'] = digest.project_id
        msg['X-Staffeln-Period'] = (
            f'{digest.period_start.isoformat()}/'
            f'{digest.period_end.isoformat()}')
        msg.set_content(self.render(digest, TEXT))
        msg.add_alternative(self.render(digest, HTML), subtype='html')
        return msg


def count(items, one: str, many: str | None = None) -> str:
    """``1 backup``, ``2 backups``: a number with its noun."""
    number = items if isinstance(items, int) else len(items)
    return f'{number} {one if number == 1 else many or one + "s"}'
