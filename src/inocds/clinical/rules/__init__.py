"""The rule registry: one module per rule family, ids as typed constants (`ids`).

Each module holds a family's predicates and builds its messages from the templates
of `protocol/rules.toml` (`text.render`), so no number of the protocol is written
in a message string. The package root imports nothing, so that `documents`
(plausibility) and the course walk (history) can use their families without a cycle.

Families: `plausibility` (data.count_units, data.bmi), `hepatic` (hepatic.severe_labs,
hepatic.pretreatment_limits), `labs` (labs.missing), `review` (data.*: review
triggers), `history` (history.*), `text` (templates).
"""
