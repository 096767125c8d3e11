"""Errors the forecasting engine raises.

ForecastError
└── DemandInputError   the demand frame lacks a column, has the wrong type or negative units
"""

from __future__ import annotations

__all__ = ["DemandInputError", "ForecastError"]


class ForecastError(Exception):
    """Base of the forecasting engine's errors."""


class DemandInputError(ForecastError, ValueError):
    """The demand history handed to the engine cannot be used as it is."""
