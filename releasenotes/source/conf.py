# Staffeln release notes build configuration (reno).

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

openstackdocs_repo_name = 'openstack/staffeln'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False

project = 'Staffeln Release Notes'
copyright = '2026, the Staffeln authors'
master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = []
pygments_style = 'native'
html_theme = 'openstackdocs'
html_static_path = ['_static']
templates_path = ['_templates']
locale_dirs = ['locale/']
