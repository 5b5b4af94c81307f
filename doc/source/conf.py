# Staffeln documentation build configuration.

extensions = [
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
]

config_generator_config_file = (
    '../../etc/staffeln/staffeln-config-generator.conf')
sample_config_basename = '_static/staffeln'
policy_generator_config_file = (
    '../../etc/staffeln/staffeln-policy-generator.conf')
sample_policy_basename = '_static/staffeln'

openstackdocs_repo_name = 'openstack/staffeln'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False

project = 'Staffeln'
copyright = '2026, the Staffeln authors'
master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = []
pygments_style = 'native'
html_theme = 'openstackdocs'
html_static_path = ['_static']
