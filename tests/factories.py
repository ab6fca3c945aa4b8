"""factory-boy factories: the one way tests build data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from journeys.models import (
    ApiToken,
    Customer,
    Department,
    Event,
    Journey,
    Stage,
    Team,
    Touchpoint,
    TouchpointHit,
)
from playbooks.models import Play, Playbook, PlayRun, PlayStep, RunStep


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.LazyAttribute(lambda d: d.key.replace("-", " ").title())


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("key",)
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda t: t.key.replace("-", " ").title())
    department = factory.SubFactory(DepartmentFactory)

    @factory.post_generation
    def members(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.add(*extracted)


class JourneyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Journey
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"journey-{n}")
    name = factory.LazyAttribute(lambda j: j.key.title())


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    journey = factory.SubFactory(JourneyFactory)
    key = factory.Sequence(lambda n: f"stage-{n}")
    name = factory.LazyAttribute(lambda s: s.key.title())
    department = factory.SubFactory(DepartmentFactory)
    position = factory.Sequence(lambda n: n)


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    stage = factory.SubFactory(StageFactory)
    key = factory.Sequence(lambda n: f"touchpoint-{n}")
    name = factory.LazyAttribute(lambda t: t.key.title())
    event_type = "contract.signed"
    condition = ""


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"crm-{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    segment = "mid-market"
    arr = Decimal("24000")
    acquisition_cost = Decimal("6000")
    status = Customer.Status.ACTIVE
    owner = factory.SubFactory(UserFactory)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    customer = factory.SubFactory(CustomerFactory)
    type = "contract.signed"
    occurred_at = factory.LazyFunction(timezone.now)
    source = "test"
    data = factory.LazyFunction(dict)


class TouchpointHitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TouchpointHit

    event = factory.SubFactory(EventFactory)
    customer = factory.SelfAttribute("event.customer")
    touchpoint = factory.SubFactory(TouchpointFactory)
    occurred_at = factory.SelfAttribute("event.occurred_at")


class PlaybookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Playbook
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"playbook-{n}")
    name = factory.LazyAttribute(lambda p: p.key.title())
    status = Playbook.Status.PUBLISHED


class PlayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Play

    playbook = factory.SubFactory(PlaybookFactory)
    key = factory.Sequence(lambda n: f"play-{n}")
    name = factory.LazyAttribute(lambda p: p.key.title())
    touchpoint = factory.SubFactory(TouchpointFactory)
    department = factory.SelfAttribute("touchpoint.stage.department")
    assign = Play.Assign.OWNER
    due_minutes = 2 * 24 * 60
    delay_minutes = 0


class PlayStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlayStep

    play = factory.SubFactory(PlayFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Step {n}")
    required = False


class PlayRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlayRun

    play = factory.SubFactory(PlayFactory)
    hit = factory.SubFactory(
        TouchpointHitFactory, touchpoint=factory.SelfAttribute("..play.touchpoint")
    )
    customer = factory.SelfAttribute("hit.customer")
    assignee = factory.SelfAttribute("customer.owner")
    status = PlayRun.Status.OPEN
    fire_at = factory.SelfAttribute("hit.occurred_at")
    fired_at = factory.SelfAttribute("hit.occurred_at")
    due_at = factory.LazyAttribute(lambda r: r.fire_at + timedelta(days=2))


class RunStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RunStep

    run = factory.SubFactory(PlayRunFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Step {n}")
    required = False


def make_token(*scopes: str, user: object | None = None, name: str = "test") -> str:
    """A real hashed token with these scopes; returns the secret to send as Bearer."""
    _, key = ApiToken.objects.create_key(name=name, scopes=list(scopes), user=user)
    return key
