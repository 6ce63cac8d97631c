"""What a call costs, from the configurable price table ``LLM_PRICES`` (USD per million tokens)."""

import logging
from decimal import Decimal

from django.conf import settings

logger = logging.getLogger(__name__)
_MILLION = Decimal(1_000_000)


def _price(model: str) -> dict | None:
    prices = settings.LLM_PRICES
    if model in prices:
        return prices[model]
    # Dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family costs.
    family = max((name for name in prices if model.startswith(f"{name}-")), key=len, default=None)
    return prices[family] if family else None


def call_cost(*, model: str, input_tokens: int, cached_input_tokens: int, output_tokens: int) -> Decimal:
    """USD for one call; 0 (and a log line) for a model the table does not price."""
    price = _price(model)
    if price is None:
        logger.info("No price for model %r in LLM_PRICES; its calls are recorded at cost 0", model)
        return Decimal("0")
    cached = min(cached_input_tokens, input_tokens)
    cost = (
        Decimal(str(price.get("input", 0))) * (input_tokens - cached)
        + Decimal(str(price.get("cached_input", price.get("input", 0)))) * cached
        + Decimal(str(price.get("output", 0))) * output_tokens
    ) / _MILLION
    return cost.quantize(Decimal("0.000001"))
