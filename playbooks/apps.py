from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        # The one hand-off from journeys to playbooks: see journeys/handoff.py.
        from journeys.handoff import touchpoints_reached
        from playbooks.services import fire_plays_for_hits_receiver

        touchpoints_reached.connect(fire_plays_for_hits_receiver, dispatch_uid="fire_plays")
