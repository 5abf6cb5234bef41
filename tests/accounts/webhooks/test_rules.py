"""Randomized checks of the two rules deliveries promise: the back-off and the refused networks."""

import random
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from accounts.webhooks.addresses import is_public
from accounts.webhooks.services import JITTER, RETRY_DELAYS, retry_delay

REFUSED_NETWORKS = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "0.0.0.0/8",
    "::1/128",
    "fe80::/10",
    "fc00::/7",
    "ff00::/8",
]


@given(attempts=st.integers(min_value=-5, max_value=50), seed=st.integers())
def test_each_retry_waits_its_step_of_the_schedule_within_the_jitter(attempts, seed):
    wait = retry_delay(attempts, rng=random.Random(seed))
    if not 1 <= attempts <= len(RETRY_DELAYS):
        assert wait is None
        return
    base = RETRY_DELAYS[attempts - 1]
    assert timedelta(seconds=base * (1 - JITTER)) <= wait <= timedelta(seconds=base * (1 + JITTER))


def test_the_schedule_grows_from_a_minute_to_a_day_over_about_two_days():
    assert RETRY_DELAYS[0] == 60
    assert RETRY_DELAYS[-1] == 24 * 3600
    assert list(RETRY_DELAYS) == sorted(RETRY_DELAYS)
    assert 40 * 3600 < sum(RETRY_DELAYS) * (1 + JITTER) < 50 * 3600


@given(data=st.data(), network=st.sampled_from(REFUSED_NETWORKS))
def test_every_address_of_a_refused_network_is_refused(data, network):
    address = data.draw(st.ip_addresses(network=network))
    assert not is_public(str(address))


@given(address=st.ip_addresses(v=4, network="127.0.0.0/8"))
def test_a_loopback_address_mapped_into_ipv6_is_refused_too(address):
    assert not is_public(f"::ffff:{address}")
