from django.urls import re_path

from staffeln.dashboard.admin import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^policies/create/$', views.CreatePolicyView.as_view(),
            name='create_policy'),
    re_path(r'^policies/(?P<name>[^/]+)/update/$',
            views.UpdatePolicyView.as_view(), name='update_policy'),
    re_path(r'^projects/(?P<project_id>[^/]+)/settings/$',
            views.ProjectSettingsView.as_view(), name='project_settings'),
]
