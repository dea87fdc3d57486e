"""Closed workloads: a fixed population of users who think, send a request and wait for it.

One closed class alone is solved by mean value analysis over n = 1 .. N users (Reiser &
Lavenberg 1980; Lazowska et al. 1984, ch. 6): the wait at each station follows the arrival
theorem with the queue lengths of n - 1 users, the response R(n) comes from the same
bottom-up walk as the open estimate (hops, balancers and blocking holding times included), the
throughput is X(n) = n / (Z + R(n)), and the queue lengths are Q = X x (visits per replica) x
(wait + service). With single-server stations, exponential work and non-blocking calls this is
the exact MVA recursion of :func:`archsim.analysis.theory.mva`.

Closed classes next to open ones, several closed classes, or closed classes whose requests
publish messages are solved as open classes at the throughput X that satisfies
X = N / (Z + R(X)) (one root per class, by Brent's method; an approximation).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from scipy import optimize

from archsim.analysis.analytic.network import Solver
from archsim.analysis.analytic.waits import mva_wait, open_wait

if TYPE_CHECKING:
    from archsim.analysis.analytic.network import Network
    from archsim.spec.schema import Workload

FIXED_POINT_ROUNDS = 100
FIXED_POINT_TOLERANCE = 1e-10
HUGE = 1e300


def mva(network: Network, workload: Workload) -> tuple[float, Solver]:
    """Throughput (per second) of one closed class alone, and the solver at N users."""
    users = workload.users or 1
    think_s = workload.think or 0.0
    unit = network.node_rates({workload.name: 1.0})
    queues: dict[str, float] = {}
    throughput = 0.0
    loads = None
    for population in range(1, users + 1):
        previous = dict(queues)
        solver = Solver(network, unit, mva_wait(previous, users), {workload.name: 1.0},
                        loads).solve()
        loads = solver.loads
        response = solver.request(workload.to).mean
        throughput = population / (think_s + response) if think_s + response > 0 else math.inf
        queues = {}
        for name in network.stations:
            load = solver.loads[name]
            residence = solver.waits[name].mean + solver.service[name].mean
            queues[name] = throughput * load.rate / load.queues * residence
    rates = network.node_rates({workload.name: throughput})
    final = Solver(network, rates, mva_wait(previous, users), {workload.name: throughput})
    return throughput, final.solve()


def fixed_point(network: Network, open_rates: dict[str, float],
                closed: list[Workload]) -> dict[str, float]:
    """Throughput of each closed class with X_k = N_k / (Z_k + R_k(X)), the others fixed."""
    throughputs = {w.name: 0.0 for w in closed}
    for _ in range(FIXED_POINT_ROUNDS):
        before = dict(throughputs)
        for workload in closed:
            throughputs[workload.name] = _one_class(network, open_rates, throughputs, workload)
        if all(abs(throughputs[k] - before[k]) <= FIXED_POINT_TOLERANCE * max(throughputs[k],
                                                                             1e-12)
               for k in throughputs):
            break
    return throughputs


def _one_class(network: Network, open_rates: dict[str, float], throughputs: dict[str, float],
               workload: Workload) -> float:
    users = workload.users or 1
    think_s = workload.think or 0.0

    def response(rate: float) -> float:
        rates = {**open_rates, **throughputs, workload.name: rate}
        solver = Solver(network, network.node_rates(rates), open_wait, rates).solve()
        return solver.request(workload.to).mean

    idle = response(0.0)
    if not math.isfinite(idle) or think_s + idle <= 0:
        return 0.0
    high = users / (think_s + idle)

    def excess(rate: float) -> float:
        value = rate * (think_s + response(rate)) - users
        return min(value, HUGE)

    if excess(high) <= 0:
        return high
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-14 * high, rtol=1e-13))
