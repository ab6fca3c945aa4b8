"""URL map: the admin, the REST API under /api/v1/, its schema and docs, and health checks."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from config.health import healthz, readyz
from journeys.api import CustomerViewSet, EventBatchIngestView, EventIngestView
from playbooks.api import CustomerTimelineView, PlayRunViewSet

router = DefaultRouter(trailing_slash=True)
router.register("customers", CustomerViewSet, basename="customer")
router.register("play-runs", PlayRunViewSet, basename="play-run")

api_v1 = [
    path("events/", EventIngestView.as_view(), name="events"),
    path("events/batch/", EventBatchIngestView.as_view(), name="events-batch"),
    path(
        "customers/<str:external_id>/timeline/",
        CustomerTimelineView.as_view(),
        name="customer-timeline",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
