"""The app's URLs plus `/bench/baseline/events/`, the plain CreateAPIView to compare with."""

from django.urls import include, path

from bench.baseline import BaselineEventCreateView

urlpatterns = [
    path("bench/baseline/events/", BaselineEventCreateView.as_view(), name="bench-baseline"),
    path("", include("config.urls")),
]
