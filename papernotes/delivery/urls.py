"""The subscriber's pages, under ``/newsletter/`` (namespace ``delivery``)."""

from django.urls import path

from papernotes.delivery import views

app_name = "delivery"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("sent/", views.subscribe_sent, name="sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
]
