"""Saturation: the load at which the busiest station reaches utilization 1.

By the utilization law U_k = lambda D_k / c_k (Lazowska et al. 1984, ch. 3), the open load
saturates at lambda_sat = lambda / max_k U_k when the service demands D_k do not depend on the
load: an exact operational law, whatever the distributions. A blocking caller's holding time
and a consumer's round trip include downstream waits, which grow with the load; then the scale
is found by Brent's method on max_k U_k(scale) = 1 (an approximation, like the waits it uses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scipy import optimize

from archsim.analysis.analytic.consumers import subscriber_estimates
from archsim.analysis.analytic.network import Solver
from archsim.analysis.analytic.waits import open_wait

if TYPE_CHECKING:
    from archsim.analysis.analytic.network import Network

LINEAR_TOLERANCE = 1e-9
HUGE = 1e300


@dataclass(frozen=True, slots=True)
class Saturation:
    """Where the open load saturates.

    Attributes
    ----------
    rate_scale : float
        Factor on the file's open rates at which the busiest station reaches utilization 1
        (compare ``--rate-scale``).
    headroom : float or None
        ``rate_scale`` over the analyzed rate scale (how much more load fits).
    bottleneck : str
        The station (or subscriber) that saturates first.
    label : str
        ``"exact"`` (operational law, load-independent demands) or ``"approximate"``.
    rates_per_s : dict of str to float
        Each open class's arrival rate at saturation.
    """

    rate_scale: float
    headroom: float | None
    bottleneck: str
    label: str
    rates_per_s: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return {"rate_scale": round(self.rate_scale, 6),
                "headroom": None if self.headroom is None else round(self.headroom, 6),
                "bottleneck": self.bottleneck, "label": self.label,
                "rates_rps": {k: round(v, 4) for k, v in self.rates_per_s.items()}}


def peak(network: Network, scale: float, fixed_rates: dict[str, float]) -> tuple[float, str]:
    """The highest utilization (inf when a holding time is unbounded) at ``scale``."""
    rates = {w.name: w.rate_per_s * scale for w in network.topology.workload if w.is_open}
    rates.update(fixed_rates)
    solver = Solver(network, network.node_rates(rates), open_wait, rates, thin=False).solve()
    candidates = [(solver.utilization(name, loaded=True), name) for name in network.stations]
    candidates += [(sub.utilization_max, sub.key)
                   for sub in subscriber_estimates(network, solver, {})]
    return max(candidates, default=(0.0, ""))


def saturation(network: Network, rate_scale: float,
               fixed_rates: dict[str, float]) -> Saturation | None:
    """Saturation of the open classes (closed classes held at ``fixed_rates``); None when
    there is no open load or nothing ever saturates."""
    open_rates = {w.name: w.rate_per_s for w in network.topology.workload if w.is_open}
    if not any(open_rates.values()):
        return None
    reference = rate_scale if rate_scale > 0 else 1.0
    utilization, _ = peak(network, reference, fixed_rates)
    if utilization <= 0:
        return None
    label = "exact"
    scale = reference / utilization if math.isfinite(utilization) else 0.0
    top, name = peak(network, scale, fixed_rates) if scale > 0 else (math.inf, "")
    if scale <= 0 or abs(top - 1.0) > LINEAR_TOLERANCE:
        label = "approximate"
        scale = _solve(network, fixed_rates, reference, utilization, scale, top)
        name = peak(network, scale, fixed_rates)[1]
    return Saturation(scale, scale / rate_scale if rate_scale > 0 else None, name, label,
                      {k: v * scale for k, v in open_rates.items()})


def _solve(network: Network, fixed_rates: dict[str, float], reference: float,
           reference_utilization: float, linear: float, linear_utilization: float) -> float:
    def excess(scale: float) -> float:
        return min(peak(network, scale, fixed_rates)[0], HUGE) - 1.0

    if reference_utilization < 1.0:
        low, high = reference, linear
        for _ in range(60):
            if excess(high) >= 0:
                break
            low, high = high, high * 2.0
    else:
        high = reference
        low = linear if linear > 0 and linear_utilization < 1.0 else reference / 2.0
        for _ in range(200):
            if excess(low) < 0:
                break
            high, low = low, low / 2.0
        else:
            return 0.0  # the closed classes alone saturate it
    return float(optimize.brentq(excess, low, high, xtol=1e-12 * high, rtol=1e-12))
