from django.apps import AppConfig


class StaffelnDashboardConfig(AppConfig):
    name = 'staffeln.dashboard'
    label = 'staffeln_dashboard'
    verbose_name = 'Staffeln'
