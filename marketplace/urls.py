from django.urls import path

from marketplace import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("network/", views.network, name="network"),
]
