"""Connectors, file importers, the landing writer and validation.

One package per channel (`shopify`, `amazon`, `rakuten`, `supplier`: each a client, a pull and
its contracts) and one for dropped files (`files`), over shared pieces: `http` (retries and
pacing), `paging`, `landing` (the landing zone), `validation` with `contract_parts`,
`record_fields` and `errors`. Every client is configured by its caller; nothing here reads the
environment or the settings.

Everything here writes to the landing zone (data/landing/) and never opens the warehouse.
"""
