# The Staffeln dashboard's Django application (its templates); the panels
# are in the files that follow.
from staffeln.dashboard import client

FEATURE = 'staffeln_dashboard'
ADD_INSTALLED_APPS = ['staffeln.dashboard']
# staffeln-api's refusals are shown as messages, never as an error page.
ADD_EXCEPTIONS = {'recoverable': (client.ApiError,)}
