"""The rule registry: one module per rule family, ids as typed constants (`ids`).

Each module holds a family's predicates and builds its messages (the new families
from the templates of `protocol/rules.toml`, via `text.render`), so no number of the
protocol is written in a message string. The package root imports nothing, so that
`documents` (plausibility) and the course walk (history) can use their families
without a cycle.

Families: `duration` (duration.*), `heme` (heme.* count gates), `interruption`
(nonheme.*, hepatic.interrupt, interruption.*), `cytoreduction`, `hepatic`
(hepatic.severe_labs, hepatic.pretreatment_limits), `labs` (labs.missing), `predose`
(the gates of the safety net), `review` (data.*: review triggers), `history`
(history.*), `plausibility` (data.count_units, data.bmi), `text` (templates).
Still outside: the regimen and reduction ladder (`clinical/regimen.py`), the walk's
omissions (`course.py`: schedule.*, interruption.ge7) and the stops (`episodes.py`).
"""
