"""GetLocation, hand-written for the test: every location is in us-east1, labelled so."""

from __future__ import annotations

from location.application.bases import GetLocationHandlerBase
from location.application.messages import GetLocationRequest
from location.domain.models import Location


class GetLocationHandler(GetLocationHandlerBase):
    """Answers the location named in the request."""

    async def handle(self, request: GetLocationRequest) -> Location:
        labels = {"cloud.googleapis.com/region": "us-east1", "tier": request.name.rsplit("/", 1)[-1]}
        return Location(name=request.name, location_id="us-east1", labels=labels)
