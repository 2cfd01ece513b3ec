"""Getting each report to a person, and keeping it with one (docs/ARCHITECTURE.md, section 5).

The rule, which only decides: `policy` (settings), `nearest` (the search), `assignment` (who gets
a report, whom a person may give it to), `stranded` (the invariant as queries). The use cases,
which move reports through `reports/workflow.py`: `presence` (duty, location), `handover` (off
duty, disabled, repairs), `service` (reassign, account status), `sla` (the sweep), `api`, `cli`.
"""
