"""CheckRules, hand-written for the test: echoes the message rules, and requires fields that have string rules."""

from __future__ import annotations

from rules.application.bases import CheckRulesHandlerBase
from rules.application.messages import FieldRules, MessageRules


class CheckRulesHandler(CheckRulesHandlerBase):
    """Keeps `skip` as given (unset stays unset, False stays False) and sets `required` for string rules."""

    async def handle(self, request: FieldRules) -> MessageRules:
        present: dict[str, bool] = {}  # only the fields that are set: an explicit None would be written as null
        if request.message is not None and request.message.skip is not None:
            present["skip"] = request.message.skip
        if request.string is not None:
            present["required"] = True
        return MessageRules(**present)
