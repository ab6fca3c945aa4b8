"""The one place where the journey tells the playbooks that customers reached touchpoints.

`journeys` never imports `playbooks`: it sends `touchpoints_reached` once per processed batch,
inside the transaction that recorded the hits, and `playbooks` (in its AppConfig.ready)
connects `fire_plays` to it. Runs are therefore created atomically with their hits.
"""

from django.dispatch import Signal

# Sent with `hits: list[TouchpointHit]` (touchpoint, customer and event loaded) and `now`.
touchpoints_reached = Signal()
