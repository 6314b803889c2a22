r"""What a plan shrinks: a named estimand of the registry, and its draws per posterior draw.

A target is written ``name`` or ``name:argument`` with ``name`` one of :data:`PLANNABLE` (names
of :data:`monkeypower.estimands.ESTIMANDS`; a unique prefix such as ``forecast`` is accepted):

``asymptotic_exponent``
    :math:`b_\infty`; a function of the population parameters only.
``effective_exponent:K1,K2``
    The effective exponent of the population curve over the window :math:`[K_1, K_2]`
    (default: the window the data span); a function of the parameters only.
``forecast_pass_at_k:K``
    pass_D@K of this benchmark. The registry's estimand is the in-sample forecast
    :math:`T(\theta, D) = 1 - \frac1M\sum_i g_i`, :math:`g_i = E[(1-p_i)^K \mid \theta, D_i] =
    e^{L(c_i, f_i + K) - L(c_i, f_i)}`; the quantity it forecasts, :math:`Q = 1 - \frac1M\sum_i
    (1-p_i)^K`, varies also with each problem's :math:`p_i` given :math:`\theta`, so the planner
    shrinks the posterior variance of :math:`Q` itself,

    .. math:: \operatorname{Var}(Q \mid D) = \operatorname{Var}_\theta T(\theta, D)
              + E_\theta\Big[\frac1{M^2}\sum_i \big(e^{L(c_i, f_i+2K) - L(c_i, f_i)}
              - g_i^2\big)\Big],

    the part new attempts on a problem remove directly. Problems not yet attempted count with
    :math:`(n, c) = (0, 0)`, i.e. at the population's :math:`E[(1-p)^K]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monkeypower.estimands import checked_window
from monkeypower.estimands.registry import ESTIMANDS, PosteriorDraws, compute
from monkeypower.families import NUMPY, Family

__all__ = ["PLANNABLE", "PlanTarget", "TargetDraws", "parse_target"]

PLANNABLE: tuple[str, ...] = ("asymptotic_exponent", "effective_exponent", "forecast_pass_at_k")
"""The registry estimands a plan can target (scalar functions of the posterior)."""


@dataclass(frozen=True)
class PlanTarget:
    """A parsed target: the estimand's registry name and its argument.

    Attributes
    ----------
    name : str
        One of :data:`PLANNABLE`.
    horizon : float or None
        ``forecast_pass_at_k``: the K of pass_D@K.
    window : (int, int) or None
        ``effective_exponent``: the window (None: the data's).
    """

    name: str
    horizon: float | None = None
    window: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        """How the target prints: ``forecast_pass_at_k (K = 100,000)``."""
        if self.name == "forecast_pass_at_k":
            return f"{self.name} (K = {self.horizon:,.0f})"
        if self.window is not None:
            return f"{self.name} (k in [{self.window[0]:,}, {self.window[1]:,}])"
        return self.name

    @property
    def depends_on_data(self) -> bool:
        """Whether the target's value per draw changes with the counts (the forecast)."""
        return self.name == "forecast_pass_at_k"


def parse_target(target: str | PlanTarget) -> PlanTarget:
    """Read ``"asymptotic_exponent"``, ``"effective_exponent:1,10000"``, ``"forecast:1e5"``...

    Raises
    ------
    ValueError
        For a name that is not (a unique prefix of) a :data:`PLANNABLE` estimand, or a bad
        argument; the message lists the choices.
    """
    if isinstance(target, PlanTarget):
        return target
    text = str(target).strip()
    name, _, argument = text.partition(":")
    matches = [p for p in PLANNABLE if p == name] or [p for p in PLANNABLE if p.startswith(name)]
    if not name or len(matches) != 1:
        raise ValueError(
            f"target {text!r}: expected one of {', '.join(PLANNABLE)} (or a unique prefix), "
            "e.g. 'asymptotic_exponent', 'effective_exponent:1,10000', "
            "'forecast_pass_at_k:1e5'")
    name = matches[0]
    if name not in ESTIMANDS:  # the registry is the one list; a rename there must show here
        raise KeyError(f"{name!r} is no longer in the estimand registry")
    try:
        if name == "forecast_pass_at_k":
            if not argument:
                raise ValueError("needs its horizon K, e.g. 'forecast_pass_at_k:1e5'")
            horizon = float(argument)
            if not np.isfinite(horizon) or horizon < 1:
                raise ValueError(f"horizon K must be at least 1, got {argument!r}")
            return PlanTarget(name, horizon=horizon)
        if name == "effective_exponent" and argument:
            return PlanTarget(name, window=checked_window(
                tuple(float(v) for v in argument.split(","))))
        if argument:
            raise ValueError(f"{name} takes no argument, got {argument!r}")
    except ValueError as err:
        raise ValueError(f"target {text!r}: {err}") from None
    return PlanTarget(name)


@dataclass(frozen=True)
class TargetDraws:
    r"""A target's draws on thinned posterior draws, and what the preposterior needs of them.

    Attributes
    ----------
    target : PlanTarget
    values : numpy.ndarray, shape (S,)
        :math:`T(\theta_s, D)`, computed by the registry entry of the target's name.
    n_total : int
        Problems the target averages over (attempted and not yet attempted).
    within : float
        :math:`E_\theta[\operatorname{Var}(Q\mid\theta, D)]`, the per-problem part of the
        forecast's variance (0 for the exponents).
    """

    target: PlanTarget
    values: np.ndarray
    n_total: int
    within: float

    @property
    def variance(self) -> float:
        """Current posterior variance of the target (for the forecast: of pass_D@K itself)."""
        return float(np.var(self.values)) + self.within

    @property
    def mean(self) -> float:
        """Current posterior mean."""
        return float(np.mean(self.values))


def log_fail_ratio(
    family: Family, params: dict[str, np.ndarray], c: np.ndarray, f: np.ndarray, k: float
) -> np.ndarray:
    r""":math:`\log E[(1-p)^k \mid c, f, \theta] = L(c, f + k) - L(c, f)`, broadcast."""
    return (np.asarray(family.log_moment(c, f + k, params, NUMPY), dtype=np.float64)
            - np.asarray(family.log_moment(c, f, params, NUMPY), dtype=np.float64))


def target_draws(
    target: PlanTarget, post: PosteriorDraws, flat: dict[str, np.ndarray], unattempted: int = 0,
) -> TargetDraws:
    """The target's draws on the flat (already thinned) parameter draws ``flat``.

    ``post`` supplies the family and the compressed data; ``unattempted`` problems of the
    benchmark with no attempts yet enter the forecast as pairs ``(0, 0)``.
    """
    n = np.append(post.n, 0) if unattempted else post.n
    c = np.append(post.c, 0) if unattempted else post.c
    weight = np.append(post.weight, unattempted) if unattempted else post.weight
    thinned = PosteriorDraws(post.family, {k: v.reshape(1, -1) for k, v in flat.items()},
                             n, c, weight, post.seed)
    n_total = int(np.sum(weight))
    within = 0.0
    if target.name == "forecast_pass_at_k":
        values = compute(target.name, thinned, [target.horizon]).draws.reshape(-1)
        params = {k: v[:, None] for k, v in flat.items()}
        cc, ff = c[None, :].astype(np.float64), (n - c)[None, :].astype(np.float64)
        with np.errstate(under="ignore"):
            log_g = log_fail_ratio(post.family, params, cc, ff, target.horizon)
            log_h = log_fail_ratio(post.family, params, cc, ff, 2.0 * target.horizon)
            per_problem = np.clip(np.exp(log_h) - np.exp(2.0 * log_g), 0.0, None)
        within = float(np.mean(per_problem @ weight)) / n_total**2
    elif target.name == "effective_exponent":
        values = compute(target.name, thinned, target.window).draws.reshape(-1)
    else:
        values = compute(target.name, thinned).draws.reshape(-1)
    return TargetDraws(target, np.asarray(values, dtype=np.float64), n_total, within)
