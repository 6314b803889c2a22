"""Where to spend the next attempts: an adaptive sampling planner, and campaigns to test it.

- :mod:`~monkeypower.evaluation.planning.targets`: the estimands a plan can shrink;
- :mod:`~monkeypower.evaluation.planning.preposterior`: expected variance reduction from more
  attempts at a problem, from the current posterior draws;
- :mod:`~monkeypower.evaluation.planning.allocation`: preposterior-greedy, uniform and
  fewest-successes-first splits of a budget;
- :mod:`~monkeypower.evaluation.planning.plan`: :func:`plan`, the next round;
- :mod:`~monkeypower.evaluation.planning.campaign`: :func:`simulate_campaign`, fit → plan →
  attempt → refit against a known population or recorded outcomes;
- :mod:`~monkeypower.evaluation.planning.figure`: error against attempts spent, per rule.
"""

from monkeypower.evaluation.planning.allocation import ALLOCATIONS
from monkeypower.evaluation.planning.campaign import (
    KnownPopulation,
    RecordedOutcomes,
    simulate_campaign,
)
from monkeypower.evaluation.planning.plan import plan
from monkeypower.evaluation.planning.result import CampaignResult, PlanResult
from monkeypower.evaluation.planning.targets import PLANNABLE, PlanTarget, parse_target

__all__ = ["ALLOCATIONS", "PLANNABLE", "CampaignResult", "KnownPopulation", "PlanResult",
           "PlanTarget", "RecordedOutcomes", "parse_target", "plan", "simulate_campaign"]
