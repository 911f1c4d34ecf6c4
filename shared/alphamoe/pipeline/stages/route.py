"""The route stage: signal.generated → signal.routed through the mixture of experts."""

from __future__ import annotations

from typing import Any

from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import SignalGenerated
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.router.graph import Router


class RouteStage:
    """signal.generated → signal.routed: the experts' verdict with its reasons."""

    name = "route"

    def __init__(self, router: Router) -> None:
        self.router = router

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        signal = expect(envelope, SignalGenerated)
        return [derive(envelope, self.router.route(signal), self.name)]
