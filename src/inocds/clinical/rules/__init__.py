"""The rule registry: one module per rule family, ids as typed constants (`ids`).

Each module holds its family's predicates and builds its messages from the templates
of `protocol/rules.toml` (`[rule.messages]`, rendered by `text.render`; recheck
conditions by `text.recheck`), so no number of the protocol is written in a message.
The package root imports nothing, so that `documents` (plausibility) and the course
walk (regimen, reduction, episodes, omissions, history) can use their families
without a cycle.

Families: `regimen` (regimen.*: doses, cycle lengths, cycle 1 extension, the largest
single dose), `reduction` (reduction.*: the ladder), `duration` (duration.*), `schedule`
(schedule.window, schedule.min_interval), `omissions` (interruption.ge7,
schedule.missed: the walk's omissions), `episodes` (nonheme.*, hepatic.interrupt:
interruptions), `stops` (hepatic.vod, infusion.severe, course.discontinued), `heme`
(heme.*), `interruption` (interruption.lt7/ge14/gt28 before a dose), `hepatic`
(hepatic.interrupt's predicate, gilbert_hemolysis, severe_labs, pretreatment_limits),
`infusion` (infusion.reaction, premedication), `cytoreduction`, `labs` (labs.missing),
`predose` (the gates of a day 1 and the safety net's), `review` (data.*: review
triggers), `history` (history.*), `plausibility` (data.count_units, data.bmi), `text`
(templates). The vocabularies (actions, levels, states) are `clinical.types`.
"""
