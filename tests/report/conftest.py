"""A small shop with every kind of section an HTML report can show, simulated once per session."""

from __future__ import annotations

from typing import Any

import pytest

import archsim

SHOP = """\
archsim: 1
name: tiny-shop
description: A gateway, an app with a database, and an order topic with a mailer.
simulation: {duration: 2s, warmup: 0.5s, replications: 2, seed: 5}
workload:
  - {name: browse, to: gateway/list, rate: 150}
  - {name: checkout, to: gateway/buy, rate: 20}
components:
  gateway: {type: load_balancer, target: app}
  app:
    type: service
    replicas: 2
    workers: 4
    endpoints:
      list: {work: 3ms, calls: [{to: db/select}]}
      buy: {work: 5ms, calls: [{to: db/select}, {publish: orders}]}
  db: {type: database, workers: 8, endpoints: {select: {work: {dist: exponential, mean: 2ms}}}}
  orders:
    type: topic
    partitions: 2
    subscribers: [{group: mailer, to: mail/send, consumers: 2}]
  mail: {type: service, workers: 2, endpoints: {send: {work: 4ms}}}
slos:
  - {request: browse, p99: 100ms}
  - {request: "*", error_rate: "1%"}
"""
BIGGER_APP = "components.app.replicas=3"


@pytest.fixture(scope="session")
def shop() -> Any:
    return archsim.load(SHOP)


@pytest.fixture(scope="session")
def shop_report(shop: Any) -> Any:
    return archsim.simulate(shop, jobs=1)


@pytest.fixture(scope="session")
def shop_sweep(shop: Any) -> Any:
    return archsim.sweep(shop, [0.5, 1.0, 1.5], replications=1, jobs=1)


@pytest.fixture(scope="session")
def shop_comparison(shop: Any) -> Any:
    bigger = archsim.load(SHOP, [BIGGER_APP])
    return archsim.compare({"two apps": shop, "three apps": bigger}, jobs=1)
