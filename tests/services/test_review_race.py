"""Two reviews of one workshop for one order posted at the same moment, on the real PostgreSQL:
one is recorded, the other is refused as a conflict (409), never the unique constraint's 500."""

import functools

import pytest

from marketplace.errors import Conflict
from marketplace.orders.conversation import review_create
from marketplace.orders.models import Review
from tests.factories import MembershipFactory
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import api_client_for, error_of
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("posts", [2, 4])
def test_reviews_posted_at_once_record_one_and_refuse_the_rest(postgres, posts):
    for _ in range(3):
        order = OrderFactory(status="completed")
        job = JobFactory(order=order, status="done")
        customer = MembershipFactory(organization=order.organization).user
        post = functools.partial(review_create, user=customer, order=order, workshop=job.workshop)
        outcomes = in_parallel(*[functools.partial(post, rating=n) for n in range(1, posts + 1)])
        assert sum(isinstance(o, Review) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, Conflict) for o in outcomes) == posts - 1, outcomes
        job.workshop.refresh_from_db()
        recorded = Review.objects.get(order=order, workshop=job.workshop)
        assert job.workshop.review_count == 1
        assert job.workshop.rating == recorded.rating


def test_the_api_answers_the_second_of_two_reviews_posted_at_once_with_409(postgres):
    order = OrderFactory(status="completed")
    job = JobFactory(order=order, status="done")
    customer = MembershipFactory(organization=order.organization).user
    url = f"/api/v1/orders/{order.pk}/reviews/"

    def post(rating: int):
        return api_client_for(customer).post(
            url, {"workshop": job.workshop_id, "rating": rating}, format="json"
        )

    responses = in_parallel(functools.partial(post, 4), functools.partial(post, 5))
    assert sorted(r.status_code for r in responses) == [201, 409], responses
    refused = next(r for r in responses if r.status_code == 409)
    assert error_of(refused)["code"] == "conflict"
    assert Review.objects.filter(order=order).count() == 1
