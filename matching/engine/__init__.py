"""Cloud Factory's scheduling core: problem dataclasses in, plans out; no Django import.

See docs/matching-engine.md for the model. The names below are the public API.
"""

from matching.engine.greedy import greedy
from matching.engine.pareto import Option, StepChoice, quote_options
from matching.engine.problem import (
    Alternative,
    Assignment,
    Infeasibility,
    Leg,
    Objective,
    Plan,
    Problem,
    Resource,
    Routing,
    SolveParams,
    Step,
    Transport,
)
from matching.engine.replan import MachineDown, Move, Replan, StepDeclined, StepLate, replan
from matching.engine.solver import solve
from matching.engine.validate import validate

__all__ = [
    "Alternative",
    "Assignment",
    "Infeasibility",
    "Leg",
    "MachineDown",
    "Move",
    "Objective",
    "Option",
    "Plan",
    "Problem",
    "Replan",
    "Resource",
    "Routing",
    "SolveParams",
    "Step",
    "StepChoice",
    "StepDeclined",
    "StepLate",
    "Transport",
    "greedy",
    "quote_options",
    "replan",
    "solve",
    "validate",
]
