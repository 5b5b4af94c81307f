from django.urls import re_path

from staffeln.dashboard.project import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^backups/$', views.BackupsView.as_view(), name='backups'),
    re_path(r'^(?P<backup_id>[^/]+)/restore/$', views.RestoreView.as_view(),
            name='restore'),
    re_path(r'^(?P<backup_id>[^/]+)/restore_onto/$',
            views.RestoreOntoView.as_view(), name='restore_onto'),
]
