"""Who may do what: the API's oslo.policy enforcer (rules in
:mod:`staffeln.policies`)."""

from oslo_config import cfg
from oslo_policy import policy

from staffeln.api import errors
from staffeln import conf as staffeln_conf
from staffeln import policies


def make_enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    """An enforcer of Staffeln's rules; ``[oslo_policy]`` can override."""
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    return enforcer


def get_enforcer() -> policy.Enforcer:
    """The ``oslo.policy.enforcer`` entry point for the oslopolicy tools."""
    staffeln_conf.CONF([], project='staffeln')
    return make_enforcer(staffeln_conf.CONF)


def authorize(enforcer: policy.Enforcer, rule: str, target: dict,
              context) -> None:
    """Raise :class:`errors.Forbidden` unless ``context`` may do ``rule``."""
    try:
        enforcer.authorize(rule, target, context, do_raise=True)
    except (policy.PolicyNotAuthorized, policy.InvalidScope):
        raise errors.Forbidden(
            f'Policy does not allow {rule} to be performed.') from None
