"""Location.labels, a map<string, string>, over the wire: a JSON object both ways."""

from __future__ import annotations

from fastapi.testclient import TestClient
from location_client import LocationClient
from location_client.models import GetLocationRequest, Location
from location_client.routes import GET_LOCATION


def test_the_map_arrives_as_a_dict(client: TestClient) -> None:
    location = LocationClient(http_client=client).get_location(GetLocationRequest(name="projects/p/locations/gold"))
    assert location.labels == {"cloud.googleapis.com/region": "us-east1", "tier": "gold"}
    raw = client.post(GET_LOCATION.path, json={"name": "projects/p/locations/gold"}).json()
    assert raw["labels"] == {"cloud.googleapis.com/region": "us-east1", "tier": "gold"}
    assert raw["locationId"] == "us-east1"


def test_a_map_of_json_is_read_back() -> None:
    assert Location.model_validate_json('{"labels": {"a": "1", "b": ""}}').labels == {"a": "1", "b": ""}
