"""Staffeln's API policies, in code: one module per resource.

``list_rules`` is the ``oslo.policy.policies`` entry point that
``oslopolicy-sample-generator --namespace staffeln`` and the API's enforcer
read. The delete hook (``POST /v1/backup``) has no rule here: Cinder calls it
without a token, and what it answers is decided from Staffeln's database (see
``staffeln.api.decision``).
"""

import itertools

from staffeln.policies import backups
from staffeln.policies import base
from staffeln.policies import projects
from staffeln.policies import protection
from staffeln.policies import restores
from staffeln.policies import retention
from staffeln.policies import stats
from staffeln.policies import tasks
from staffeln.policies import volumes
from staffeln.policies import webhooks


def list_rules():
    return itertools.chain(base.list_rules(), tasks.list_rules(),
                           volumes.list_rules(), backups.list_rules(),
                           protection.list_rules(), projects.list_rules(),
                           stats.list_rules(), restores.list_rules(),
                           retention.list_rules(), webhooks.list_rules())
