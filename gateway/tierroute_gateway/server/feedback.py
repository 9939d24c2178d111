"""Recent request ids and the model that answered each, so feedback can name the model."""

from __future__ import annotations

from collections import OrderedDict


class RecentAnswers:
    """A bounded map request id → model; the oldest entries fall out first."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._models: OrderedDict[str, str] = OrderedDict()

    def remember(self, request_id: str, model: str) -> None:
        """Note which model answered a request."""
        self._models[request_id] = model
        if len(self._models) > self._capacity:
            self._models.popitem(last=False)

    def model_of(self, request_id: str) -> str | None:
        """The model that answered `request_id`, if it is still remembered."""
        return self._models.get(request_id)
