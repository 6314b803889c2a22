"""mpmath oracles for the population families' log moment L(c, f) = log E[p^c (1-p)^f].

Shared by the per-family oracle tests and by the registry-driven contract
(``test_family_contract.py``): :func:`reference_log_moment` dispatches on the family name and
raises for a family without an oracle, so a newly registered family fails the contract until it
has one.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_ndtr

MP_DPS = 40
#: Working precision of the real-line quadrature oracle (:func:`mp_log_integral`).
QUAD_DPS = 30


def _psi_logit(t: np.ndarray, a, b, s, c, f) -> np.ndarray:
    """Float log-integrand in the logit variable t (u = expit t, du = u(1-u) dt)."""
    lu = -np.logaddexp(0.0, -t)
    l1u = -np.logaddexp(0.0, t)
    l1s = math.log1p(-s) if s < 1 else -np.inf
    l1su = np.logaddexp(l1s, math.log(s) + l1u)  # log(1 - s u) = log((1-s) + s(1-u))
    return (a + c) * lu + b * l1u + f * l1su


def mp_log_moment_quad(c, f, a, b, s, dps=MP_DPS) -> mpmath.mpf:
    r"""Direct quadrature of the defining integral.

    :math:`L = c\log s + \log\int_0^1 u^{a+c-1}(1-u)^{b-1}(1-su)^f du - \log B(a,b)`.

    Middle part in the logit variable, split at the (refined) peak, at multiples of the
    peak width, and where the log-integrand has dropped by 0.25 ... 130 (found on a dense
    float grid), pieces <= 2 wide; pieces where it stays 200 below the peak are skipped.
    The two ends are done in ``w = u^(a+c)`` and ``z = (1-u)^b``, which absorb the
    endpoint power singularities (with ``a = 0.01`` most of the mass sits below
    ``u = 1e-26``, out of reach of tanh-sinh in ``u``).
    """
    t = np.linspace(-745.0, 745.0, 60001)
    psi = _psi_logit(t, a, b, s, c, f)
    i = int(np.argmax(psi))
    res = minimize_scalar(
        lambda x: -_psi_logit(np.float64(x), a, b, s, c, f),
        bounds=(t[max(i - 1, 0)], t[min(i + 1, t.size - 1)]),
        method="bounded",
        options={"xatol": 1e-13},
    )
    t_peak, psi_peak = float(res.x), float(-res.fun)
    pts = {t_peak}
    # sharp peaks (c, f ~ 1e6 give widths ~1e-3 in t): splits at multiples of the width
    d = 1e-4
    curv = (
        -(
            _psi_logit(np.float64(t_peak + d), a, b, s, c, f)
            - 2 * psi_peak
            + _psi_logit(np.float64(t_peak - d), a, b, s, c, f)
        )
        / d**2
    )
    if curv > 0:
        width = 1.0 / math.sqrt(curv)
        pts.update(t_peak + sign * k * width for sign in (-1, 1) for k in (1, 2, 4, 8, 16, 32))
    for drop in (0.25, 1, 3, 6, 10, 16, 25, 40, 60, 90, 130):
        idx = np.nonzero(np.diff((psi > psi_peak - drop).astype(int)))[0]
        pts.update(float(0.5 * (t[j] + t[j + 1])) for j in idx)
    pts = sorted({-60.0, 60.0} | {p for p in pts if -60.0 < p < 60.0})
    fine = [pts[0]]
    for p in pts[1:]:
        start = fine[-1]
        n = max(1, math.ceil((p - start) / 2.0))
        fine.extend([start + (p - start) * k / n for k in range(1, n)] + [p])
    with mpmath.workdps(dps):
        A, B, S, C, F = (mpmath.mpf(x) for x in (a, b, s, c, f))
        one = mpmath.mpf(1)
        peak = mpmath.mpf(psi_peak)
        ac = A + C

        def g_t(x):
            lu = -mpmath.log(one + mpmath.exp(-x))
            l1u = lu - x
            l1su = mpmath.log((one - S) + S / (one + mpmath.exp(x)))
            return mpmath.exp(ac * lu + B * l1u + F * l1su - peak)

        def g_w(w):  # w = u^(a+c)
            u = w ** (one / ac) if w else mpmath.mpf(0)
            return (
                mpmath.exp((B - 1) * mpmath.log(one - u) + F * mpmath.log(one - S * u) - peak) / ac
            )

        def g_z(z):  # z = (1-u)^b
            v = z ** (one / B) if z else mpmath.mpf(0)
            return (
                mpmath.exp(
                    (ac - 1) * mpmath.log(one - v) + F * mpmath.log((one - S) + S * v) - peak
                )
                / B
            )

        u0 = one / (one + mpmath.exp(-mpmath.mpf(fine[0])))
        v1 = one / (one + mpmath.exp(mpmath.mpf(fine[-1])))
        total = mpmath.quad(g_w, [0, u0**ac]) + mpmath.quad(g_z, [0, v1**B])
        for x0, x1 in zip(fine[:-1], fine[1:], strict=True):
            inside = (t >= x0 - 0.05) & (t <= x1 + 0.05)
            if psi[inside].max() < psi_peak - 200:  # contributes < e^-200: skip
                continue
            total += mpmath.quad(g_t, [mpmath.mpf(x0), mpmath.mpf(x1)])
        log_b = mpmath.loggamma(A) + mpmath.loggamma(B) - mpmath.loggamma(A + B)
        return (C * mpmath.log(S) if c else 0) + peak + mpmath.log(total) - log_b


def mp_log_moment_hyp(c, f, a, b, s, dps=MP_DPS) -> mpmath.mpf:
    r""":math:`c\log s + \log B(a+c,b) - \log B(a,b) + \log {}_2F_1(-f, a+c; a+b+c; s)`."""
    with mpmath.workdps(dps):
        A, B, S, C = (mpmath.mpf(x) for x in (a, b, s, c))

        def lbeta(x, y):
            return mpmath.loggamma(x) + mpmath.loggamma(y) - mpmath.loggamma(x + y)

        hyp = mpmath.hyp2f1(-int(f), A + C, A + B + C, S)
        return (C * mpmath.log(S) if c else 0) + lbeta(A + C, B) - lbeta(A, B) + mpmath.log(hyp)


def mp_log_integral(psi_float, psi_mp, span, extra=(), grid=None):
    r""":math:`\log\int e^{\psi(t)}dt` with mpmath.

    The peak and the points where :math:`\psi` has dropped by 0.5 ... 40 nats are located on a
    dense float grid over ``span`` (or the given increasing ``grid``, which must start and end
    at the span's ends); the integral (cut where :math:`\psi` is 80 nats below its
    peak, a relative contribution < 1e-30) is done by ``mpmath.quad`` over the pieces between
    them (plus ``extra`` break points), and its own error estimate is returned.
    """
    t = np.linspace(span[0], span[1], 200_001) if grid is None else np.asarray(grid, float)
    with np.errstate(all="ignore"):
        psi = psi_float(t)
    psi = np.where(np.isfinite(psi), psi, -np.inf)
    i = int(np.argmax(psi))
    res = minimize_scalar(lambda x: -float(psi_float(np.float64(x))),
                          bounds=(t[max(i - 1, 0)], t[min(i + 1, t.size - 1)]),
                          method="bounded", options={"xatol": 1e-12})
    t_peak, peak = float(res.x), float(-res.fun)
    keep = np.nonzero(psi > peak - 80.0)[0]
    lo = t[max(keep[0] - 1, 0)] if keep[0] > 0 else t[0] - 1.0
    hi = t[min(keep[-1] + 1, t.size - 1)] if keep[-1] < t.size - 1 else t[-1] + 1.0
    assert span[0] < lo and hi < span[1], "oracle span too short"
    pts = {lo, hi, t_peak, *extra}
    for drop in (0.5, 2.0, 8.0, 20.0, 40.0):
        idx = np.nonzero(np.diff((psi > peak - drop).astype(int)))[0]
        pts.update(float(0.5 * (t[j] + t[j + 1])) for j in idx)
    pts = sorted(p for p in pts if lo <= p <= hi)
    with mpmath.workdps(QUAD_DPS):
        shift = mpmath.mpf(peak)
        total, err = mpmath.quad(lambda x: mpmath.exp(psi_mp(x) - shift),
                                 [mpmath.mpf(p) for p in pts], error=True)
        return float(shift + mpmath.log(total)), float(err / total)


def _log_sigmoid_np(x):
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def mp_logit_normal(c, f, mu, sigma):
    """Oracle in x = logit p (the Gaussian in x times sigma(x)^c sigma(-x)^f)."""
    def psi_float(x):
        ls = _log_sigmoid_np(x)
        return c * ls + f * (ls - x) - 0.5 * ((x - mu) / sigma) ** 2

    c_, f_, mu_, s_ = (mpmath.mpf(v) for v in (c, f, mu, sigma))

    def psi_mp(x):
        return (-c_ * mpmath.log1p(mpmath.exp(-x)) - f_ * mpmath.log1p(mpmath.exp(x))
                - (x - mu_) ** 2 / (2 * s_**2))

    # the data can pull the mass far from mu (sigma small, counts in the millions): the span
    # covers mu and the empirical logit
    x_hat = math.log(max(c, 0.5)) - math.log(max(f, 0.5))
    lo, hi = min(mu, x_hat), max(mu, x_hat)
    value, err = mp_log_integral(psi_float, psi_mp, (lo - 30 * sigma - 10, hi + 30 * sigma + 10),
                                 extra=(0.0,))
    return value - math.log(sigma) - 0.5 * math.log(2 * math.pi), err


def mp_tailed_logit_normal(c, f, mu, sigma, alpha):
    r"""Oracle in x = logit p: the exponentially modified Gaussian's density in its own form,
    :math:`\alpha e^{\alpha(x-\mu)+\alpha^2\sigma^2/2}\Phi(-(x-\mu)/\sigma-\alpha\sigma)`, times
    sigma(x)^c sigma(-x)^f (the kernel integrates log-phi shifted by t^2/2, via erfcx)."""
    def psi_float(x):
        ls = _log_sigmoid_np(x)
        t = -(x - mu) / sigma - alpha * sigma
        return (c * ls + f * (ls - x) + math.log(alpha) + alpha * (x - mu)
                + 0.5 * (alpha * sigma) ** 2 + log_ndtr(t))

    c_, f_, mu_, s_, a_ = (mpmath.mpf(v) for v in (c, f, mu, sigma, alpha))

    def psi_mp(x):
        t = -(x - mu_) / s_ - a_ * s_
        return (-c_ * mpmath.log1p(mpmath.exp(-x)) - f_ * mpmath.log1p(mpmath.exp(x))
                + mpmath.log(a_) + a_ * (x - mu_) + (a_ * s_) ** 2 / 2 + mpmath.log(mpmath.ncdf(t)))

    # the body as for the logit-normal; below it an exponential tail of rate alpha + c, whose
    # 80-nat drop takes up to 80 / alpha (a coarser grid there)
    x_hat = math.log(max(c, 0.5)) - math.log(max(f, 0.5))
    knot = mu - alpha * sigma**2
    body_lo = min(mu, x_hat, knot) - 30 * sigma - 10
    hi = max(mu, x_hat) + 30 * sigma + 10
    lo = body_lo - 100.0 / (alpha + c)
    grid = np.unique(np.concatenate([np.linspace(lo, body_lo, 20_001),
                                     np.linspace(body_lo, hi, 200_001)]))
    return mp_log_integral(psi_float, psi_mp, (lo, hi), extra=(0.0, knot), grid=grid)


def mp_kumaraswamy(c, f, a, b):
    """Oracle in x = logit p (an independent variable: the kernel integrates in logit(p^a))."""
    def psi_float(x):
        ls = _log_sigmoid_np(x)
        la = np.minimum(a * ls, -1e-300)
        l1 = np.where(la > -0.69, np.log(-np.expm1(la)), np.log1p(-np.exp(la)))
        return (a + c) * ls + (f + 1) * (ls - x) + (b - 1) * l1

    c_, f_, a_, b_ = (mpmath.mpf(v) for v in (c, f, a, b))

    def psi_mp(x):
        lp = -mpmath.log1p(mpmath.exp(-x))
        return (a_ + c_) * lp + (f_ + 1) * (lp - x) + (b_ - 1) * mpmath.log(-mpmath.expm1(a_ * lp))

    value, err = mp_log_integral(psi_float, psi_mp, (-1500.0, 800.0), extra=(0.0,))
    return value + math.log(a * b), err


def _mp_log_beta(x, y):
    with mpmath.workdps(MP_DPS):
        x, y = mpmath.mpf(x), mpmath.mpf(y)
        return mpmath.loggamma(x) + mpmath.loggamma(y) - mpmath.loggamma(x + y)


def mp_beta_log_moment(c, f, alpha, beta):
    """Exact Beta L(c, f) = log B(alpha + c, beta + f) - log B(alpha, beta), in mpmath."""
    with mpmath.workdps(MP_DPS):
        return _mp_log_beta(alpha + c, beta + f) - _mp_log_beta(alpha, beta)


def _log1mexp_of_log(lx):
    """log(1 - exp(-e^lx)) in floats, for any real lx (no underflow of e^lx)."""
    lx = np.asarray(lx, float)
    x = np.exp(np.minimum(lx, 700.0))
    with np.errstate(all="ignore"):
        mid = np.log(-np.expm1(-x))
        big = np.log1p(-np.exp(-x))
    return np.where(lx < -18.0, lx - 0.5 * x, np.where(x > math.log(2), big, mid))


def mp_kumaraswamy_loglog(c, f, a, b):
    r"""Kumaraswamy oracle in :math:`z = \log(-\log u)`, :math:`u = p^a \sim \mathrm{Beta}(1, b)`.

    Works over the whole prior support (a down to 0.01, b from 0.05 to 1e20), where the
    logit-p oracle (:func:`mp_kumaraswamy`) cannot: for small ``a`` the mass sits at p far
    below the float range.  In z the integrand decays like :math:`e^{bz}` to the left and
    double-exponentially to the right, with no endpoint singularity; the kernel integrates in
    :math:`\operatorname{logit} u`, a different variable.
    """
    la = math.log(a)
    def psi_float(z):
        z = np.asarray(z, float)
        ez = np.exp(np.minimum(z, 700.0))
        return (math.log(b) + (b - 1) * _log1mexp_of_log(z) - (1 + c / a) * ez
                + (f * _log1mexp_of_log(z - la) if f else 0.0) + z)
    A, B, C, F = (mpmath.mpf(v) for v in (a, b, c, f))
    def l1me(x):  # log(1 - e^-x), accurate for tiny and huge x
        return mpmath.log(-mpmath.expm1(-x)) if x < 1 else mpmath.log1p(-mpmath.exp(-x))

    def psi_mp(z):
        ez = mpmath.exp(z)
        out = mpmath.log(B) + (B - 1) * l1me(ez) - (1 + C / A) * ez + z
        if f:
            out += F * l1me(ez / A)
        return out
    left = -(90.0 / min(b, 1.0)) - 60.0
    return mp_log_integral(psi_float, psi_mp, (left, 60.0))


def mp_generalized_beta_loglog(c, f, alpha, nu, beta, scale):
    r"""Oracle for :math:`p = sX`, :math:`u = X^\nu \sim \mathrm{Beta}(\alpha/\nu, \beta)`.

    In :math:`z = \log(-\log u)` (the kernel integrates in :math:`\operatorname{logit} u`):

    .. math:: L = c\log s - \log B(\alpha/\nu, \beta) + \log\int \exp\{z
        - \tfrac{\alpha+c}{\nu}e^z + (\beta-1)\log(1-e^{-e^z})
        + f\log(1 - s\,e^{-e^z/\nu})\}\,dz .

    The scaled Kumaraswamy is ``alpha = nu = a``; at ``alpha = 1`` unscaled this is
    :func:`mp_kumaraswamy_loglog` (the same variable, checked against it).
    """
    k = (alpha + c) / nu
    lnu, ls = math.log(nu), math.log(scale)

    def fail_float(z):
        if scale == 1.0:
            return _log1mexp_of_log(z - lnu)
        lx = ls - np.exp(np.minimum(z - lnu, 700.0))  # log(s x)
        with np.errstate(all="ignore"):
            return np.where(lx > -math.log(2), np.log(-np.expm1(lx)), np.log1p(-np.exp(lx)))

    def psi_float(z):
        z = np.asarray(z, float)
        ez = np.exp(np.minimum(z, 700.0))
        return (beta - 1) * _log1mexp_of_log(z) - k * ez + (f * fail_float(z) if f else 0.0) + z

    K, B, F, NU, S = (mpmath.mpf(v) for v in (k, beta, f, nu, scale))

    def l1me(x):  # log(1 - e^-x), accurate for tiny and huge x
        return mpmath.log(-mpmath.expm1(-x)) if x < 1 else mpmath.log1p(-mpmath.exp(-x))

    def psi_mp(z):
        ez = mpmath.exp(z)
        out = (B - 1) * l1me(ez) - K * ez + z
        if f:
            out += F * (l1me(ez / NU) if scale == 1.0 else mpmath.log1p(-S * mpmath.exp(-ez / NU)))
        return out
    # the left tail decays like e^(beta z): long for tiny beta; dense where the peak can be sharp
    left = -(120.0 / min(beta, 1.0)) - 60.0
    grid = np.concatenate([np.linspace(left, -60.0, 100_001)[:-1],
                           np.linspace(-60.0, 60.0, 200_001)])
    value, err = mp_log_integral(psi_float, psi_mp, (left, 60.0), grid=grid)
    with mpmath.workdps(MP_DPS):
        const = (c * mpmath.log(mpmath.mpf(scale)) if c else 0) - _mp_log_beta(alpha / nu, beta)
    return value + float(const), err


def _mp_logaddexp_weighted(w, l1, l2):
    """log(w e^l1 + (1 - w) e^l2) in mpmath (w may be 0 or 1)."""
    with mpmath.workdps(MP_DPS):
        w = mpmath.mpf(w)
        return mpmath.log(w * mpmath.exp(mpmath.mpf(l1)) + (1 - w) * mpmath.exp(mpmath.mpf(l2)))


def _scaled_beta_ref(c, f, alpha, beta, scale):
    if scale == 1.0:
        return float(mp_beta_log_moment(c, f, alpha, beta))
    if f <= 1e4:
        return float(mp_log_moment_hyp(c, f, alpha, beta, scale))
    return float(mp_log_moment_quad(c, f, alpha, beta, scale))


def reference_log_moment(name: str, c: float, f: float, params: dict) -> float:
    """mpmath reference value of L(c, f) for the registered family ``name``.

    Raises
    ------
    KeyError
        If no oracle is written for ``name`` (add one here when adding a family).
    """
    p = {k: float(v) for k, v in params.items()}
    if c == 0 and f == 0:
        return 0.0
    if name == "beta":
        return float(mp_beta_log_moment(c, f, p["alpha"], p["beta"]))
    if name == "scaled_beta":
        return _scaled_beta_ref(c, f, p["alpha"], p["beta"], p["scale"])
    if name == "kumaraswamy":
        return mp_kumaraswamy_loglog(c, f, p["a"], p["b"])[0]
    if name == "scaled_kumaraswamy":
        return mp_generalized_beta_loglog(c, f, p["a"], p["a"], p["b"], p["scale"])[0]
    if name in ("generalized_beta", "bridged_beta"):  # bridged: nu = alpha**bend, given
        return mp_generalized_beta_loglog(c, f, p["alpha"], p["nu"], p["beta"], p["scale"])[0]
    if name == "logit_normal":
        return mp_logit_normal(c, f, p["mu"], p["sigma"])[0]
    if name == "tailed_logit_normal":
        return mp_tailed_logit_normal(c, f, p["mu"], p["sigma"], p["alpha"])[0]
    if name in ("zero_inflated_beta", "zero_inflated_scaled_beta"):
        base = "beta" if name == "zero_inflated_beta" else "scaled_beta"
        l_base = reference_log_moment(base, c, f, {k: v for k, v in p.items() if k != "pi0"})
        with mpmath.workdps(MP_DPS):
            pi0 = mpmath.mpf(p["pi0"])
            point_mass = pi0 if c == 0 else 0  # E[p^c (1-p)^f | p = 0] = 1{c = 0}
            return float(mpmath.log(point_mass + (1 - pi0) * mpmath.exp(mpmath.mpf(l_base))))
    if name == "beta_mixture":
        lt = mp_beta_log_moment(c, f, p["alpha_tail"], p["beta_tail"])
        lb = mp_beta_log_moment(c, f, p["alpha_body"], p["beta_body"])
        return float(_mp_logaddexp_weighted(p["tail_weight"], lt, lb))
    raise KeyError(f"no mpmath oracle for family {name!r}: add one to tests/_mp_oracles.py")



# ---------------------------------------------------------------------------
# Comparison helpers shared by the family tests
# ---------------------------------------------------------------------------


def _errors(got, ref) -> tuple[np.ndarray, np.ndarray]:
    """(relative error of L, relative error of E = e^L); L_ref = 0 gives |dL| for both."""
    got, ref = np.asarray(got, float), np.asarray(ref, float)
    diff = got - ref
    rel_l = np.abs(diff) / np.where(ref == 0.0, 1.0, np.abs(ref))
    return rel_l, np.abs(np.expm1(diff))


def _worst_error(got, ref) -> float:
    """Worst relative error of L, and of E = e^L where E is not astronomically small.

    (For |L| ~ 1e6 the float64 spacing of L alone is ~1e-10 in E's relative error.)
    """
    ref = np.asarray(ref, float)
    rel_l, rel_e = _errors(got, ref)
    return float(np.max(np.maximum(rel_l, np.where(np.abs(ref) <= 50.0, rel_e, 0.0))))


def _assert_close(got, ref, tol, what):
    got, ref = np.asarray(got, float), np.asarray(ref, float)
    assert np.all(got[ref == 0.0] == 0.0), what
    assert _worst_error(got, ref) <= tol, (what, _worst_error(got, ref))



def _local_slope(fam, params, k):
    ks = np.round(np.array([k * math.exp(-1e-3), k * math.exp(1e-3)]))
    lf = fam.log_moment(0.0, ks, params)
    return -(lf[1] - lf[0]) / math.log(ks[1] / ks[0]), float(fam.log_moment(0.0, k, params))

