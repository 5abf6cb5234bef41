"""API of the main workflow: quotes, orders, jobs (a workshop's MES), shipments.

Thin views: each authenticates, parses with a serializer, fetches through a scoped lookup,
calls one service of `marketplace.orders` and serializes. What each party sees of an order
comes from `selectors.order_for_party`, which the order page reads too: the customer and
operators see every step and leg, a workshop only its own steps and the legs it sends or
receives, a carrier only its legs.
"""

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Organization
from accounts.permissions import require_kind
from billing.money import Money
from marketplace.errors import NotFound, PermissionDenied
from marketplace.network import selectors as network_selectors
from marketplace.network.api.views import _active_workshop
from marketplace.orders import conversation, selectors, services
from marketplace.orders import inspection as inspection_services
from marketplace.orders import jobs as job_services
from marketplace.orders import quotes as quote_services
from marketplace.orders import shipments as shipment_services
from marketplace.orders.api import serializers as s
from marketplace.orders.models import Job, Order, QuoteLine, QuoteOption, QuoteRequest, Shipment

JOB_RELATED = (
    "order",
    "machine",
    "process",
    "workshop__organization",
    "line__revision__design",
    "line__material",
)
SHIPMENT_RELATED = (
    "order__option__request",
    "origin__organization",
    "destination__organization",
    "carrier__organization",
)


# -- quotes ---------------------------------------------------------------------------------
def _quotes(queryset: QuerySet[QuoteRequest], *, with_routes: bool) -> QuerySet[QuoteRequest]:
    options = QuoteOption.objects.select_related("order")
    return queryset.prefetch_related(
        Prefetch("options", queryset=options if with_routes else options.defer("route")),
        Prefetch(
            "lines",
            queryset=QuoteLine.objects.select_related("revision__design", "material", "finish"),
        ),
    )


class QuoteViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Quotes of the active customer organization; asking for one solves it at once if small."""

    serializer_class = s.QuoteSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[QuoteRequest]:
        if getattr(self, "swagger_fake_view", False):
            return QuoteRequest.objects.none()
        organization = require_kind(
            membership=self.request.membership, kinds=(Organization.Kind.CUSTOMER,)
        )
        return _quotes(
            QuoteRequest.objects.filter(organization=organization).order_by("-created_at"),
            with_routes=False,
        )

    def _detail(self, quote_id: int) -> QuoteRequest:
        quote = selectors.quote_get_for_member(quote_id=quote_id, user=self.request.user)
        return _quotes(QuoteRequest.objects.filter(pk=quote.pk), with_routes=True).get()

    @extend_schema(responses=s.QuoteDetailSerializer)
    def retrieve(self, request, pk=None):
        return Response(s.QuoteDetailSerializer(self._detail(pk)).data)

    @extend_schema(request=s.QuoteCreateSerializer, responses={201: s.QuoteDetailSerializer})
    def create(self, request):
        """Asks for a quote; `status` is `solving` when it is solved in the background."""
        organization = require_kind(
            membership=request.membership, kinds=(Organization.Kind.CUSTOMER,)
        )
        serializer = s.QuoteCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = quote_services.quote_request_create(
            user=request.user,
            organization=organization,
            lines=[quote_services.LineSpec(**line) for line in data["lines"]],
            ship_to=quote_services.ShipTo(**data["ship_to"]),
            due_at=data["due_at"],
        )
        return Response(
            s.QuoteDetailSerializer(self._detail(quote.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={201: s.OrderDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"options/(?P<option_id>\d+)/order")
    def order(self, request, pk=None, option_id=None):
        """Orders one option of the quote; the payment opens at once."""
        quote = selectors.quote_get_for_member(quote_id=pk, user=request.user)
        option = quote.options.filter(pk=option_id).select_related("request").first()
        if option is None:
            raise NotFound("No such option on this quote.")
        order = services.order_place(user=request.user, option=option)
        return Response(_order_body(request, order.pk), status=status.HTTP_201_CREATED)


# -- orders ---------------------------------------------------------------------------------
def _order_context(request) -> dict:
    return {"sees_money": selectors.order_money_visible(user=request.user)}


def _order_body(request, order_id: int) -> dict:
    """The order with the steps and legs the caller may see, its timeline and chat."""
    view = selectors.order_for_party(order_id=order_id, user=request.user)
    order = view.order
    order.visible_jobs = view.jobs
    order.visible_shipments = view.shipments
    order.timeline = list(order.events.select_related("actor"))
    order.chat = list(order.messages.select_related("author", "organization"))
    return s.OrderDetailSerializer(
        order, context={"sees_money": lambda _order: view.sees_everything}
    ).data


class OrderViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Orders the caller may see: its customer, the workshops and carriers on it, operators."""

    serializer_class = s.OrderSerializer
    filterset_fields = ["status"]
    ordering_fields = ["placed_at", "promised_delivery_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return selectors.orders_listed_for(user=self.request.user)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context.update(_order_context(self.request))
        return context

    def _order(self, pk) -> Order:
        return selectors.order_get_for_member(order_id=pk, user=self.request.user)

    @extend_schema(responses=s.OrderDetailSerializer)
    def retrieve(self, request, pk=None):
        return Response(_order_body(request, pk))

    @extend_schema(request=s.ReasonSerializer, responses=s.OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The customer cancels before production; operators until delivery."""
        serializer = s.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_cancel(
            user=request.user, order=self._order(pk), reason=serializer.validated_data["reason"]
        )
        return Response(_order_body(request, order.pk))

    @extend_schema(request=s.ReasonSerializer, responses=s.OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        """The customer reports a problem; an operator decides."""
        serializer = s.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_dispute(
            user=request.user, order=self._order(pk), reason=serializer.validated_data["reason"]
        )
        return Response(_order_body(request, order.pk))

    @extend_schema(request=s.DisputeDecisionInputSerializer, responses=s.OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """An operator settles the dispute with amounts (refund, work paid its price)."""
        serializer = s.DisputeDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = self._order(pk)
        order = services.order_resolve_dispute(
            user=request.user,
            order=order,
            outcome=data["outcome"],
            reason=data["reason"],
            refund=Money(data["refund_minor"], order.currency),
            paid_party_ids=data.get("paid_parties"),
        )
        return Response(_order_body(request, order.pk))

    @extend_schema(request=None, responses=s.OrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-delivery")
    def confirm_delivery(self, request, pk=None):
        """The customer has the parts (also confirms the last leg if the carrier did not)."""
        order = services.order_confirm_delivery(user=request.user, order=self._order(pk))
        return Response(_order_body(request, order.pk))

    @extend_schema(request=None, responses=s.OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """The customer accepts the parts; every share of the payment is released."""
        order = services.order_complete(user=request.user, order=self._order(pk))
        return Response(_order_body(request, order.pk))

    @extend_schema(request=s.JobInspectionSerializer, responses=s.OrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path=r"jobs/(?P<job_id>\d+)/inspection")
    def inspection(self, request, pk=None, job_id=None):
        """Records a finished step's inspection: the inspecting workshop, the customer on
        delivery, or an operator; rework and rejection lower the step's margin share."""
        serializer = s.JobInspectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = self._order(pk).jobs.filter(pk=job_id).first()
        if job is None:
            raise NotFound("No such step on this order.")
        job = inspection_services.job_inspection_record(
            user=request.user, job=job, **serializer.validated_data
        )
        return Response(_order_body(request, job.order_id))

    @extend_schema(request=s.MessagePostSerializer, responses={201: s.MessageSerializer})
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        """Posts to the order's chat as one of the caller's organizations."""
        serializer = s.MessagePostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = self._order(pk)
        wanted = serializer.validated_data.get("organization")
        if wanted is None:
            organization = request.membership.organization if request.membership else None
        else:
            membership = (
                request.user.memberships.filter(organization_id=wanted)
                .select_related("organization")
                .first()
            )
            organization = membership.organization if membership else None
        if organization is None:
            raise PermissionDenied("Post as an organization you belong to.")
        message = conversation.message_post(
            user=request.user,
            order=order,
            organization=organization,
            body=serializer.validated_data["body"],
        )
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewCreateSerializer, responses={201: s.ReviewSerializer})
    @action(detail=True, methods=["post"])
    def reviews(self, request, pk=None):
        """The customer rates a workshop of a completed order, once."""
        serializer = s.ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = conversation.review_create(
            user=request.user, order=self._order(pk), **serializer.validated_data
        )
        return Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


# -- jobs -----------------------------------------------------------------------------------
class JobViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """The active workshop's job board; what a workshop's MES calls to report its work."""

    serializer_class = s.JobSerializer
    filterset_fields = ["status"]
    ordering_fields = ["planned_start", "accept_by"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Job]:
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        workshop = _active_workshop(self.request)
        return selectors.jobs_for_workshop(workshop=workshop).select_related(*JOB_RELATED)

    def _job(self, pk) -> Job:
        return selectors.job_get_for_workshop_member(
            job_id=pk, user=self.request.user, related=JOB_RELATED
        )

    def _done(self, job: Job) -> Response:
        """The job as the action left it: a decline answers with the declined job, which the
        workshop no longer reads afterwards."""
        return Response(
            s.JobSerializer(Job.objects.select_related(*JOB_RELATED).get(pk=job.pk)).data
        )

    def retrieve(self, request, pk=None):
        return Response(s.JobSerializer(self._job(pk)).data)

    @extend_schema(request=None, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Takes the job and books its machine time."""
        return self._done(job_services.job_accept(user=request.user, job=self._job(pk)))

    @extend_schema(request=s.JobDeclineSerializer, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Turns the job down; the order is re-planned without this workshop."""
        serializer = s.JobDeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = job_services.job_decline(
            user=request.user, job=self._job(pk), reason=serializer.validated_data["reason"]
        )
        return self._done(job)

    @extend_schema(request=None, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._done(job_services.job_start(user=request.user, job=self._job(pk)))

    @extend_schema(request=s.JobProgressSerializer, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        """Reports how far a started job is, in percent, with an optional note."""
        serializer = s.JobProgressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = job_services.job_progress(
            user=request.user, job=self._job(pk), **serializer.validated_data
        )
        return self._done(job)

    @extend_schema(request=None, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._done(job_services.job_complete(user=request.user, job=self._job(pk)))

    @extend_schema(request=s.JobDelaySerializer, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def delay(self, request, pk=None):
        """Reports when an accepted or running step will really end; what it pushes past its
        plan is re-planned. Operators may report for a workshop; the order's customer sees the
        job but may not (403)."""
        serializer = s.JobDelaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = selectors.job_get_for_party(job_id=pk, user=request.user)
        job = job_services.job_report_delay(user=request.user, job=job, **serializer.validated_data)
        return Response(
            s.JobSerializer(Job.objects.select_related(*JOB_RELATED).get(pk=job.pk)).data
        )


# -- shipments ------------------------------------------------------------------------------
class ShipmentViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Legs of the active carrier, or the legs the active workshop sends or receives."""

    serializer_class = s.ShipmentSerializer
    filterset_fields = ["status", "order"]
    ordering_fields = ["planned_departure"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Shipment]:
        if getattr(self, "swagger_fake_view", False):
            return Shipment.objects.none()
        organization = require_kind(
            membership=self.request.membership,
            kinds=(Organization.Kind.LOGISTICS, Organization.Kind.WORKSHOP),
        )
        if organization.kind == Organization.Kind.LOGISTICS:
            carrier = getattr(organization, "carrier", None)
            if carrier is None:
                return Shipment.objects.none()
            legs = selectors.shipments_for_carrier(carrier=carrier)
        else:
            workshop = network_selectors.workshop_for_organization(organization=organization)
            if workshop is None:
                return Shipment.objects.none()
            legs = (
                Shipment.objects.filter(Q(origin=workshop) | Q(destination=workshop))
                .exclude(status=Shipment.Status.SUPERSEDED)
                .order_by("planned_departure")
            )
        return legs.select_related(*SHIPMENT_RELATED)

    def _shipment(self, pk) -> Shipment:
        return selectors.shipment_get_for_party(
            shipment_id=pk, user=self.request.user, related=SHIPMENT_RELATED
        )

    def retrieve(self, request, pk=None):
        return Response(s.ShipmentSerializer(self._shipment(pk)).data)

    @extend_schema(request=s.HandOverSerializer, responses=s.ShipmentSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        """The sending workshop or the carrier records that the parts left."""
        serializer = s.HandOverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        leg = shipment_services.shipment_hand_over(
            user=request.user, shipment=self._shipment(pk), **serializer.validated_data
        )
        return Response(s.ShipmentSerializer(self._shipment(leg.pk)).data)

    @extend_schema(request=None, responses=s.ShipmentSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """The receiving side (next workshop or customer) or the carrier records arrival."""
        leg = shipment_services.shipment_receive(user=request.user, shipment=self._shipment(pk))
        return Response(s.ShipmentSerializer(self._shipment(leg.pk)).data)
