"""validate.proto (proto2): oneof members over the wire, presence of optional bools, two members rejected."""

from __future__ import annotations

import pydantic
import pytest
from fastapi.testclient import TestClient
from rules_client import RulesClient
from rules_client.models import BytesRules, FieldRules, MessageRules, StringRules
from rules_client.routes import CHECK_RULES


def test_one_member_of_the_oneof_travels(client: TestClient) -> None:
    answer = RulesClient(http_client=client).check_rules(FieldRules(string=StringRules(min_len=3, prefix="")))
    assert (answer.required, answer.skip) == (True, None)
    raw = client.post(CHECK_RULES.path, json={"string": {"minLen": "3"}}).json()
    assert raw == {"required": True}


def test_false_is_present_and_unset_is_absent(client: TestClient) -> None:
    sdk = RulesClient(http_client=client)
    assert sdk.check_rules(FieldRules(message=MessageRules(skip=False))) == MessageRules(skip=False)
    assert client.post(CHECK_RULES.path, json={"message": {"skip": False}}).json() == {"skip": False}
    assert client.post(CHECK_RULES.path, json={"message": {}}).json() == {}


def test_two_members_are_rejected(client: TestClient) -> None:
    with pytest.raises(pydantic.ValidationError, match="type"):
        FieldRules(string=StringRules(), bytes_=BytesRules())  # `bytes` would be what annotations read: `bytes_` in Python
    response = client.post(CHECK_RULES.path, json={"string": {}, "bytes": {}})
    assert response.status_code == 400  # an invalid request (problem+json INVALID_ARGUMENT)
    assert response.json()["code"] == "INVALID_ARGUMENT"
