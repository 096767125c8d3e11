"""The simulated business: a seeded, day-by-day model of a Japanese omnichannel retailer.

`generate` writes the world (what the channels know) and the truth (what only tests and
benchmarks may read); `live.trade` lets a loaded world keep trading as its clock moves.
"""

from __future__ import annotations

from ichigen.sandbox.generator.write import END_DATE, generate

__all__ = ["END_DATE", "generate"]
