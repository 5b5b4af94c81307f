"""The OpenStackClient plugin hooks (``openstack.cli.extension``)."""

from osc_lib import utils

from staffeln.osc import client as staffeln_client

API_NAME = 'staffeln'
API_VERSION_OPTION = 'os_staffeln_api_version'
API_VERSIONS = {'1': 'staffeln.osc.client.Client'}
DEFAULT_API_VERSION = '1'
#: The catalog's service type of staffeln-api.
SERVICE_TYPE = 'backup-automation'


def make_client(instance):
    """The API client, at the catalog's endpoint or ``--os-staffeln-url``."""
    endpoint = instance.get_configuration().get('staffeln_url')
    if not endpoint:
        endpoint = instance.get_endpoint_for_service_type(
            SERVICE_TYPE, region_name=instance.region_name,
            interface=instance.interface)
    return staffeln_client.Client(instance.session, endpoint)


def build_option_parser(parser):
    parser.add_argument(
        '--os-staffeln-api-version', metavar='<version>',
        default=utils.env('OS_STAFFELN_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='Staffeln API version (default: 1; Env: '
             'OS_STAFFELN_API_VERSION)')
    parser.add_argument(
        '--os-staffeln-url', metavar='<url>',
        default=utils.env('OS_STAFFELN_URL'),
        help='The URL of staffeln-api, instead of the catalog\'s '
             f'{SERVICE_TYPE} endpoint (Env: OS_STAFFELN_URL)')
    return parser
