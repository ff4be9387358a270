"""PVADeals state and rules: accounts, purchases and the request lifecycle.

Plain Python under the engine lock: no Flask, no HTTP codes, no JSON. Every operation takes
the virtual instant it happens at, so timeline events that run late still act at their time.

Lifecycle: RESERVED -> COMPLETED (first SMS) | TIMEOUT (end time, no SMS) | FLAGGED (client);
COMPLETED -> RESERVED again on reuse. A reuse starts a new "generation": events scheduled
for an earlier generation find it changed and do nothing, so a reuse cancels them (and a flag,
an SMS or an end cancels the events it makes moot), so that what the timeline lists will act.

A long-term rental (numberType LTR) lives the same way for its days, then, at its end time, is
charged again and extended by as many days when auto-renew is on and the credits cover it, or
ends (TIMEOUT) [assumed]. Reusing a rental arms it for another SMS within its days.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from mockserver.engine.clock import DAY_MS, format_iso
from mockserver.engine.ids import Codes, ObjectIds, PhoneNumbers
from mockserver.engine.pages import CursorNotFound, Page, SortedIndex
from mockserver.engine.ratelimit import RateLimiter
from mockserver.engine.timeline import Event, Timeline
from mockserver.providers.contract import Delivered
from mockserver.providers.pvadeals import defaults
from mockserver.providers.pvadeals.errors import (
    AreaCodeNotAvailable,
    FirstAndLast,
    FlagNotAllowed,
    InsufficientBalance,
    InvalidCursor,
    InvalidDuration,
    NotARental,
    RentalEnded,
    RentalNotOffered,
    RequestNotFound,
    RequestNotReceiving,
    ReuseNotAllowed,
    ServiceNotFound,
)
from mockserver.providers.pvadeals.section import (
    PvaBehavior,
    PvaDealsScenario,
    PvaService,
)
from mockserver.providers.sms import code_in, code_shape, sms_text
from mockserver.providers.tenancy import KeyedAccounts, Tenant
from mockserver.settings import DEFAULT_LIMITS

RESERVED, COMPLETED, TIMEOUT, FLAGGED = "RESERVED", "COMPLETED", "TIMEOUT", "FLAGGED"
STR, LTR = "STR", "LTR"
ORDER_FIELDS = ("_id", "createdAt", "endTime")


@dataclass
class ReceivedSms:
    text: str
    code: str | None
    at_ms: int


@dataclass(frozen=True)
class Renewal:
    """A rental charged again at its end time, and how long it now runs."""
    at_ms: int
    amount: Decimal
    end_ms: int


@dataclass
class ServiceRequest:
    id: str
    account: Account = field(repr=False)
    service: PvaService
    behavior: PvaBehavior
    number: str
    amount: Decimal
    end_ms: int
    created_ms: int
    updated_ms: int
    status: str = RESERVED
    allow_flag: bool = True
    allow_reuse: bool = False
    reuse_counter: int = 0
    message_counter: int = 0
    generation: int = 0
    reuse_until_ms: int | None = None
    polls: int = 0                     # GET /request/{id} calls in this generation
    messages: list[ReceivedSms] = field(default_factory=list)
    kind: str = STR                    # numberType
    duration_days: int | None = None   # a rental's days, each period
    auto_renew: bool = False
    renewals: list[Renewal] = field(default_factory=list)     # the newest (Limits.rental_renewals_kept)
    renewals_dropped: int = 0          # renewals no longer listed
    renewal_refused_ms: int | None = None     # when auto-renew found the credits short
    # Its timeline events that may still act; each is cancelled once it cannot: this generation's
    # SMS due, its end time (or a rental's next end or renewal), the reuse window's close.
    sms_events: list[Event] = field(default_factory=list, repr=False, compare=False)
    end_event: Event | None = field(default=None, repr=False, compare=False)
    reuse_close: Event | None = field(default=None, repr=False, compare=False)

    @property
    def tenant(self) -> Tenant:
        return self.account.tenant

    def sort_key(self, order_field: str) -> tuple:
        if order_field == "createdAt":
            return (self.created_ms, self.id)
        if order_field == "endTime":
            return (self.end_ms, self.id)
        return (self.id,)


@dataclass(eq=False)
class Account:
    """A PVADeals account: one key, its credits, its requests. It is also the caller of a request."""
    key: str
    credits: Decimal
    webhook: str | None
    tenant: Tenant
    requests: dict[str, ServiceRequest] = field(default_factory=dict)
    indexes: dict[str, SortedIndex] = field(default_factory=lambda: {f: SortedIndex() for f in ORDER_FIELDS})


@dataclass(frozen=True)
class RequestPage:
    requests: list[ServiceRequest]
    has_previous: bool
    has_next: bool


# (account, event name, request, virtual instant, SMS text or "") -> None
Notify = Callable[[Account, str, ServiceRequest, int, str], None]


class PvaDeals(KeyedAccounts[Account]):
    opening = "credits"

    def __init__(self, scenario: PvaDealsScenario, *, name: str, timeline: Timeline, ids: ObjectIds,
                 phones: PhoneNumbers, codes: Codes, notify: Notify,
                 max_tenants: int = DEFAULT_LIMITS.max_tenants,
                 renewals_kept: int = DEFAULT_LIMITS.rental_renewals_kept):
        self.scenario = scenario
        self.name = name                   # the provider's, for its tenants
        self._timeline = timeline
        self.object_ids = ids
        self._phones = phones
        self._codes = codes
        self._notify = notify
        self._max_tenants = max_tenants
        self._renewals_kept = renewals_kept
        self.limiter = RateLimiter(list(scenario.rate_limits))
        self.services = {service.id: service for service in scenario.services}
        # The rental that takes SMS from any service, as a service of its own for the rest of the rules.
        self.all_services = PvaService(id=defaults.ALL_SERVICES, name=defaults.ALL_SERVICES,
                                       price=scenario.rentals.all_services_price, sms=defaults.ALL_SERVICES_SMS)
        self.accounts: dict[str, Account] = {}
        self._open_declared()

    def _open(self, key: str, credits: Decimal, webhook: str | None) -> Account:
        account = self.accounts[key] = Account(key, credits, webhook, Tenant(self.name, key))
        return account

    # -- access ---------------------------------------------------------------------------

    def set_webhook(self, tenant: Tenant, url: str | None, secret: str | None) -> tuple[str | None, str | None]:
        """PVADeals signs nothing, so a secret is not kept: integrators put theirs in the URL."""
        self.accounts[tenant.account].webhook = url
        return url, None

    def request(self, account: Account, request_id: str) -> ServiceRequest:
        found = account.requests.get(request_id)
        if found is None:
            raise RequestNotFound()
        return found

    def poll(self, account: Account, request_id: str, now_ms: int) -> ServiceRequest:
        """The client looks at its request: SMS planned for this poll arrive first."""
        request = self.request(account, request_id)
        request.polls += 1
        for plan in request.behavior.sms:
            if plan.on_poll == request.polls and self.takes_sms(request, now_ms):
                self.receive_sms(request, now_ms, template=plan.text)
        return request

    # -- client operations ----------------------------------------------------------------

    def purchase(self, account: Account, items: list[tuple[str, str]], now_ms: int) -> list[ServiceRequest]:
        """Short-term numbers, one per (service id, area code or ""): all or nothing, so every
        service must exist, offer its area code, and the total must be covered."""
        chosen: list[tuple[PvaService, str | None]] = []
        for service_id, area_code in items:
            service = self.services.get(service_id)
            if service is None:
                raise ServiceNotFound()
            chosen.append((service, self._area(service, area_code)))
        if sum((service.price for service, _ in chosen), Decimal("0")) > account.credits:
            raise InsufficientBalance()
        bought = []
        for service, area in chosen:
            number = self._phones.us(area)
            behavior = self.scenario.behavior_for(service, number)
            account.credits -= service.price
            bought.append(self._open_request(account, service, behavior, number, service.price,
                                             now_ms + self.scenario.lifetime_ms, now_ms,
                                             allow_flag=behavior.flag.allowed))
        return bought

    def purchase_ltr(self, account: Account, service_id: str, days: int, area_code: str, now_ms: int) -> ServiceRequest:
        """A long-term rental: a service's number for 3, 7, 14 or 30 days, or the 28-day number
        that takes SMS from any service (ALL_SERVICES), which cannot be flagged."""
        rentals = self.scenario.rentals
        service: PvaService | None
        price: Decimal | None
        if service_id == defaults.ALL_SERVICES:
            if days != rentals.all_services_days:
                raise InvalidDuration()
            service, price = self.all_services, rentals.all_services_price
        else:
            service = self.services.get(service_id)
            if service is None:
                raise ServiceNotFound()
            if days not in defaults.LTR_DURATIONS:
                raise InvalidDuration()
            price = service.ltr_price(days)
            if price is None:
                raise RentalNotOffered()
        area = self._area(service, area_code)
        if price > account.credits:
            raise InsufficientBalance()
        number = self._phones.us(area)
        behavior = self.scenario.behavior_for(service, number)
        account.credits -= price
        return self._open_request(account, service, behavior, number, price, now_ms + days * DAY_MS, now_ms,
                                  allow_flag=behavior.flag.allowed and service is not self.all_services,
                                  kind=LTR, duration_days=days)

    def _area(self, service: PvaService, area_code: str) -> str | None:
        """The area code a number will have: the one asked for if offered ("": any)."""
        if not area_code:
            return None
        if area_code not in self.scenario.area_codes_of(service):
            raise AreaCodeNotAvailable()
        return area_code

    def _open_request(self, account: Account, service: PvaService, behavior: PvaBehavior, number: str,
                      amount: Decimal, end_ms: int, now_ms: int, **kind) -> ServiceRequest:
        request = ServiceRequest(id=self.object_ids.new(now_ms), account=account, service=service, behavior=behavior,
                                 number=number, amount=amount, end_ms=end_ms, created_ms=now_ms, updated_ms=now_ms,
                                 **kind)
        account.requests[request.id] = request
        for order_field, index in account.indexes.items():
            index.add(request.sort_key(order_field))
        self._schedule_generation(request, now_ms)
        self._notify(account, "number_purchased", request, now_ms, "")
        return request

    def toggle_auto_renew(self, account: Account, request_id: str, now_ms: int) -> ServiceRequest:
        request = self.request(account, request_id)
        if request.kind != LTR:
            raise NotARental()
        if request.status in (TIMEOUT, FLAGGED):
            raise RentalEnded()
        request.auto_renew = not request.auto_renew
        request.updated_ms = now_ms
        return request

    def flag(self, account: Account, request_id: str, now_ms: int) -> ServiceRequest:
        request = self.request(account, request_id)
        if not request.allow_flag:
            raise FlagNotAllowed()
        # allowFlag is only true before an SMS arrives, which is when a refund is owed.
        refund = self.scenario.rentals.flag_refund if request.kind == LTR else request.behavior.flag.refund
        if refund:
            account.credits += request.amount
        request.status = FLAGGED
        request.allow_flag = request.allow_reuse = False
        request.updated_ms = now_ms
        self._cancel_events(request)                # a flagged request takes no SMS and never ends again
        self._notify(account, "number_flagged", request, now_ms, "")
        return request

    def reuse(self, account: Account, request_id: str, now_ms: int) -> ServiceRequest:
        request = self.request(account, request_id)
        if not request.allow_reuse:
            raise ReuseNotAllowed()
        price = request.behavior.reuse.price
        if price > account.credits:
            raise InsufficientBalance()
        account.credits -= price
        end_index = account.indexes["endTime"]
        end_index.remove(request.sort_key("endTime"))
        request.status = RESERVED
        request.amount = price
        request.reuse_counter += 1
        request.generation += 1
        request.polls = 0
        # The earlier generation's SMS find it changed. A short-term number's end time moves, so
        # its event goes; a rental keeps its days and its end event (see _schedule_generation).
        self._timeline.cancel(request.sms_events)
        request.sms_events = []
        if request.kind == STR:            # a rental keeps its days: reuse arms it for another SMS
            request.end_ms = now_ms + request.behavior.reuse.lifetime_ms
            self._timeline.cancel([request.end_event])
            request.end_event = None
        request.allow_flag = False
        request.updated_ms = now_ms
        end_index.add(request.sort_key("endTime"))
        self._schedule_generation(request, now_ms)
        self._notify(account, "number_reused", request, now_ms, "")
        return request

    def list_requests(self, account: Account, *, first: int | None, after: str | None, before: str | None,
                      order_field: str, descending: bool, last: int | None = None) -> RequestPage:
        """A page of the account's requests, STR and LTR alike: ``first`` ones after a cursor, or
        ``last`` ones (before a cursor, or at the end)."""
        if first is not None and last is not None:
            raise FirstAndLast()

        def key_of(request_id: str | None) -> tuple | None:
            if request_id is None:
                return None
            request = account.requests.get(request_id)
            if request is None:
                raise InvalidCursor()
            return request.sort_key(order_field)

        try:
            page: Page = account.indexes[order_field].page(
                first if first is not None else last if last is not None else defaults.PAGE_SIZE, after=key_of(after),
                before=key_of(before), descending=descending, from_end=last is not None)
        except CursorNotFound as exc:
            raise InvalidCursor() from exc
        return RequestPage([account.requests[key[-1]] for key in page.keys],
                           page.has_previous, page.has_next)

    # -- SMS arrival ----------------------------------------------------------------------

    def find(self, *, target_id: str | None = None, number: str | None = None) -> ServiceRequest | None:
        """Any account's request by id, or the newest one holding a number (control API)."""
        candidates = [r for a in self.accounts.values() for r in a.requests.values()
                      if (target_id is not None and r.id == target_id)
                      or (target_id is None and r.number == number)]
        return max(candidates, key=lambda r: (r.created_ms, r.id)) if candidates else None

    def deliver_sms(self, request: ServiceRequest, now_ms: int, text: str | None) -> Delivered:
        """An SMS pushed through the control API."""
        sms = self.receive_sms(request, now_ms, text=text)
        return Delivered(self.name, request.id, request.number, request.status, sms.text, sms.code, now_ms)

    def receive_sms(self, request: ServiceRequest, now_ms: int, text: str | None = None,
                    template: str | None = None) -> ReceivedSms:
        """Take an SMS: the given text, or a template (default: the service's wording) filled
        with a fresh code."""
        if not self.takes_sms(request, now_ms):
            raise RequestNotReceiving(f"request {request.id} does not take SMS now (status {request.status}, "
                                      f"end time {format_iso(request.end_ms)})")
        code: str | None
        if text is None:
            code = self._codes.new(*code_shape(request))
            text = sms_text(request, code, template)
        else:
            code = code_in(text)
        sms = ReceivedSms(text, code, now_ms)
        request.messages.append(sms)
        request.message_counter += 1
        request.updated_ms = sms.at_ms
        if request.status == RESERVED:
            request.status = COMPLETED
            request.allow_flag = False
            request.allow_reuse = request.behavior.reuse.allowed
            if request.kind == STR:        # a completed number does not time out (only a reuse re-arms it)
                self._timeline.cancel([request.end_event])
                request.end_event = None
            if request.allow_reuse:
                # a rental stays reusable for its days; a short-term number for the reuse window
                request.reuse_until_ms = (request.end_ms if request.kind == LTR
                                          else sms.at_ms + request.behavior.reuse.window_ms)
                self._timeline.cancel([request.reuse_close])     # an earlier window's close finds it moved
                request.reuse_close = self._timeline.schedule(
                    request.reuse_until_ms, request.tenant, partial(self._close_reuse, request, request.reuse_until_ms),
                    label=f"{self.name} {request.id} reuse window closes")
        self._notify(request.account, "sms_received", request, sms.at_ms, sms.text)
        return sms

    @staticmethod
    def takes_sms(request: ServiceRequest, now_ms: int) -> bool:
        """Whether an SMS may arrive now: reserved, or completed and not yet ended."""
        return request.status in (RESERVED, COMPLETED) and now_ms < request.end_ms

    # -- scheduled events -----------------------------------------------------------------

    def _schedule_generation(self, request: ServiceRequest, start_ms: int) -> None:
        """A generation's SMS and its end time. A short-term number's SMS due at or after its end
        time would find it taking none, so they are not scheduled (a rental's end may move on
        renewal, so its SMS are). A reused rental keeps the end event it has: another at the same
        instant would only find the first one's work done."""
        generation = request.generation
        for index, plan in enumerate(request.behavior.sms):
            if plan.after_ms is not None and (request.kind == LTR or start_ms + plan.after_ms < request.end_ms):
                request.sms_events.append(self._timeline.schedule(
                    start_ms + plan.after_ms, request.tenant, partial(self._sms_due, request, generation, plan.text),
                    label=f"{self.name} {request.id} sms {index + 1}"))
        if request.end_event is None:
            request.end_event = self._timeline.schedule(request.end_ms, request.tenant,
                                                        partial(self._expire, request, generation),
                                                        label=f"{self.name} {request.id} end time")

    def _cancel_events(self, request: ServiceRequest) -> None:
        """A request that has ended: none of its events can act any more."""
        self._timeline.cancel([*request.sms_events, request.end_event, request.reuse_close])
        request.sms_events, request.end_event, request.reuse_close = [], None, None

    def _sms_due(self, request: ServiceRequest, generation: int, template: str | None, at_ms: int) -> None:
        if request.generation == generation and self.takes_sms(request, at_ms):
            self.receive_sms(request, at_ms, template=template)

    def _expire(self, request: ServiceRequest, generation: int, at_ms: int) -> None:
        if request.kind == LTR:
            self._rental_end(request, at_ms)
            return
        if request.generation != generation or request.status != RESERVED:
            return
        request.status = TIMEOUT
        request.allow_flag = request.allow_reuse = False
        request.updated_ms = at_ms
        self._cancel_events(request)
        if request.behavior.timeout.refund:
            request.account.credits += request.amount

    def _rental_end(self, request: ServiceRequest, at_ms: int) -> None:
        """A rental's end time: renewed for another period when auto-renew is on and the credits
        cover its price, else it ends. (Events for an earlier end time find it moved.)"""
        if request.status in (TIMEOUT, FLAGGED) or at_ms != request.end_ms:
            return
        account = request.account
        days = request.duration_days
        assert days is not None            # a rental's end: every rental has its days
        price = (self.scenario.rentals.all_services_price if request.service is self.all_services
                 else request.service.ltr_price(days))
        if request.auto_renew and price is not None and price <= account.credits:
            account.credits -= price
            end_index = account.indexes["endTime"]
            end_index.remove(request.sort_key("endTime"))
            request.end_ms += days * DAY_MS
            end_index.add(request.sort_key("endTime"))
            request.amount = price
            request.updated_ms = at_ms
            request.renewals.append(Renewal(at_ms, price, request.end_ms))
            if len(request.renewals) > self._renewals_kept:
                dropped = len(request.renewals) - self._renewals_kept
                del request.renewals[:dropped]
                request.renewals_dropped += dropped
            if request.allow_reuse:
                request.reuse_until_ms = request.end_ms
            # The reuse window's close, due now, finds the window moved or closed: it goes.
            self._timeline.cancel([request.reuse_close])
            request.reuse_close = None
            request.end_event = self._timeline.schedule(
                request.end_ms, request.tenant, partial(self._expire, request, request.generation),
                label=f"{self.name} {request.id} rental ends or renews")
            return
        if request.auto_renew:
            request.renewal_refused_ms = at_ms
        request.status = TIMEOUT
        request.allow_flag = request.allow_reuse = False
        request.updated_ms = at_ms
        self._cancel_events(request)
        if self.scenario.rentals.end_refund:
            account.credits += request.amount

    def _close_reuse(self, request: ServiceRequest, until_ms: int, at_ms: int) -> None:
        if request.reuse_until_ms == until_ms and request.allow_reuse:
            request.allow_reuse = False
            request.updated_ms = at_ms
