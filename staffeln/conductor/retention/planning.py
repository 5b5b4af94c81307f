"""Planning retention, as the conductor's retention run uses it.

The planner is in :mod:`staffeln.actions.retention`, which the REST API
shares for its retention preview and prune; its names stay here for the
run, the deleter and the commands.
"""

from staffeln.actions import retention

DueBackup = retention.DueBackup
Planner = retention.Planner
Problem = retention.Problem
RetentionResult = retention.RetentionResult
VolumePlan = retention.VolumePlan
merge_problems = retention.merge_problems
when = retention.when
