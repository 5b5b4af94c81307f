"""Webhooks: each cycle's events POSTed beside the email digest.

Each webhook (the global one of ``[webhook]``, and each project's) has a
delivery state in the database, like a digest: everything before its
``period_end`` has been delivered. At each report step the leader claims
each webhook, builds the POST of ``[period_end, now)`` and hands it to a
background :class:`Dispatcher`; the step never waits for a receiver. The
dispatcher retries a failed POST with a doubling delay; a delivery that
still fails leaves ``period_end`` alone, so the next report step sends the
period again, extended to its own time. With ``events = failures`` a period
without a failure or a volume out of policy is passed over silently.

A webhook is delivered at least once: a receiver that processed a POST but
did not answer 2xx gets it again. The ``X-Staffeln-Delivery`` header names
each delivery.
"""

import functools
import queue
import ssl
import threading
import urllib.error
import urllib.request

from oslo_log import log as logging

from staffeln.common import clock as clock_mod
from staffeln.conductor import webhook_content
from staffeln.db import api_webhooks

LOG = logging.getLogger(__name__)

Hook = webhook_content.Hook


class DeliveryError(Exception):
    """A POST that did not get a 2xx answer."""


def post(url: str, body: bytes, headers: dict, timeout: float,
         ca_file: str | None = None) -> int:
    """POST ``body``; the status code, or DeliveryError unless 2xx."""
    request = urllib.request.Request(url, data=body, headers=headers,
                                     method='POST')
    context = None
    if ca_file and url.startswith('https:'):
        context = ssl.create_default_context(cafile=ca_file)
    try:
        with urllib.request.urlopen(request, timeout=timeout,
                                    context=context) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f'{url} answered {exc.code}') from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, 'reason', exc)
        raise DeliveryError(f'cannot reach {url}: {reason}') from None
    if not 200 <= status < 300:
        raise DeliveryError(f'{url} answered {status}')
    return status


class Dispatcher:
    """Delivers webhooks in one background thread, with retries.

    ``send(delivery, done)`` returns at once; ``done(error)`` is called in
    the thread once the delivery succeeded (error None) or gave up.
    """

    def __init__(self, conf, sleep=None, poster=None):
        group = conf.webhook
        self.timeout = group.timeout.total_seconds()
        self.retries = group.retries
        self.delay = group.retry_delay.total_seconds()
        self.ca_file = group.ca_file
        self.sleep = sleep or clock_mod.Clock().sleep
        self.poster = poster or post
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, delivery, done) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name='staffeln-webhooks',
                    daemon=True)
                self._thread.start()
        self._queue.put((delivery, done))

    def drain(self) -> None:
        """Wait until every delivery handed over has ended."""
        self._queue.join()

    def _work(self) -> None:
        while True:
            delivery, done = self._queue.get()
            try:
                done(self.deliver(delivery))
            except Exception:
                LOG.exception('Webhook delivery to %s broke',
                              delivery.hook.target)
            finally:
                self._queue.task_done()

    def deliver(self, delivery) -> str | None:
        """POST with retries; None when delivered, else the last error."""
        wait = self.delay
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(wait)
                wait *= 2
            try:
                self.poster(delivery.hook.url, delivery.body,
                            delivery.headers, self.timeout, self.ca_file)
                return None
            except DeliveryError as exc:
                error = str(exc)
                LOG.info('Webhook %s, attempt %d of %d: %s',
                         delivery.hook.target, attempt + 1,
                         self.retries + 1, error)
        return error


class Webhooks:
    """Hands each due webhook's POST to the dispatcher."""

    def __init__(self, conf, clock: clock_mod.Clock | None = None,
                 dispatcher: Dispatcher | None = None):
        self.conf = conf
        self.clock = clock or clock_mod.Clock()
        self.dispatcher = dispatcher or Dispatcher(conf)
        self.owner = conf.host

    def hooks(self, context) -> list[Hook]:
        """The global webhook (when configured) and every project's."""
        group = self.conf.webhook
        found = []
        if group.url:
            found.append(Hook(api_webhooks.GLOBAL, group.url, group.secret,
                              group.events, group.body_format))
        for row in api_webhooks.list_project_webhooks(context):
            found.append(Hook(api_webhooks.project_target(row.project_id),
                              row.url, row.secret, row.events,
                              row.body_format, row.project_id))
        return found

    def run(self, context) -> list[str]:
        """Hand over every due webhook; returns their targets.

        One webhook's failure does not hold up the others, and nothing
        here waits for a receiver.
        """
        now = self.clock.now()
        handed = []
        for hook in self.hooks(context):
            try:
                if self._run_hook(context, hook, now):
                    handed.append(hook.target)
            except Exception:
                LOG.exception('Cannot prepare webhook %s', hook.target)
        return handed

    def _run_hook(self, context, hook: Hook, now) -> bool:
        state = api_webhooks.get_delivery(context, hook.target)
        if state is None:
            # A new webhook starts with the last cycle.
            start = now - self.conf.conductor.discovery_interval
            state = api_webhooks.ensure_delivery(context, hook.target,
                                                 start, now)
        since = clock_mod.as_utc(state.period_end)
        if since >= now:
            return False
        expires = now + self.conf.conductor.claim_timeout
        if not api_webhooks.claim_delivery(context, hook.target, since,
                                           self.owner, now, expires):
            return False
        digests = webhook_content.collect(
            context, hook, since, now,
            self.conf.notification.out_of_policy_grace)
        if hook.events == 'failures' and \
                not webhook_content.has_trouble(digests):
            api_webhooks.complete_delivery(context, hook.target, since, now,
                                           self.owner, now, sent=False)
            return False
        delivery = webhook_content.build(hook, digests, since, now)
        self.dispatcher.send(delivery,
                             functools.partial(self._done, context, delivery))
        return True

    def _done(self, context, delivery, error: str | None) -> None:
        """Record how a delivery ended (in the dispatcher's thread)."""
        hook = delivery.hook
        now = self.clock.now()
        if error is None:
            LOG.info('Delivered webhook %s for %s to %s', hook.target,
                     delivery.period_start.isoformat(),
                     delivery.period_end.isoformat())
            if not api_webhooks.complete_delivery(
                    context, hook.target, delivery.period_start,
                    delivery.period_end, self.owner, now, sent=True):
                LOG.warning('Webhook %s was delivered but another conductor '
                            'took it over; it may be delivered twice',
                            hook.target)
            return
        LOG.warning('Cannot deliver webhook %s, it is tried again after the '
                    'next report step: %s', hook.target, error)
        api_webhooks.fail_delivery(context, hook.target, self.owner, now,
                                   error)
