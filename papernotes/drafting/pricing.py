"""What a call costs, from the configurable price table ``LLM_PRICES`` (USD per million tokens).

A request carried by the Batch API costs the model's batch price: ``batch_input``,
``batch_cached_input`` and ``batch_output`` where the table gives them, else the synchronous
price times ``LLM_BATCH_PRICE_FACTOR`` (0.5: OpenAI's batch discount).
"""

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


def _rate(price: dict, kind: str, *, batch: bool) -> Decimal:
    """USD per million tokens of ``kind`` (input, cached_input, output)."""
    fallback = "input" if kind == "cached_input" else kind
    rate = Decimal(str(price.get(kind, price.get(fallback, 0))))
    if not batch:
        return rate
    if f"batch_{kind}" in price:
        return Decimal(str(price[f"batch_{kind}"]))
    if kind == "cached_input" and "batch_input" in price and "cached_input" not in price:
        return Decimal(str(price["batch_input"]))
    return rate * Decimal(str(settings.LLM_BATCH_PRICE_FACTOR))


def call_cost(
    *, model: str, input_tokens: int, cached_input_tokens: int, output_tokens: int, batch: bool = False
) -> Decimal:
    """USD for one call (at the batch price when ``batch``); 0 (and a log line) for a model the
    table does not price."""
    price = _price(model)
    if price is None:
        logger.info("No price for model %r in LLM_PRICES; its calls are recorded at cost 0", model)
        return Decimal("0")
    cached = min(cached_input_tokens, input_tokens)
    cost = (
        _rate(price, "input", batch=batch) * (input_tokens - cached)
        + _rate(price, "cached_input", batch=batch) * cached
        + _rate(price, "output", batch=batch) * output_tokens
    ) / _MILLION
    return cost.quantize(Decimal("0.000001"))
