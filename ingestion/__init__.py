"""Connectors, file importers, the landing writer and validation.

Everything here writes to the landing zone (data/landing/) and never opens the warehouse.
"""
