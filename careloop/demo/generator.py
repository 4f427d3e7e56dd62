"""Realistic Chinese demo data, written in bulk and deterministic for a seed.

`demo_generate(customers=3000, seed=42, as_of=date)` draws every value from one
`random.Random(seed)`, so the same seed, size and date give the same customers, orders, complaints
and contacts. Customers follow lifecycle archetypes (prospect, new, active, declining, dormant,
lost) so segmentation meets every stage; order dates follow Chinese shopping seasons (年货 before
春节, 618, 双11). History ends on the day before `as_of`: a plan or segmentation "as of" that day
sees all of it and nothing from the future. Times are local (Asia/Shanghai by default) and stored
aware.
"""

from __future__ import annotations

import bisect
import logging
import math
import random
import time as monotonic
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any, TypeVar

from django.db import reset_queries, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from careloop.accounts.models import Team, User
from careloop.accounts.services import team_ensure, user_create
from careloop.care.models import CallbackTask, PlanRun
from careloop.complaints.models import Complaint
from careloop.core.errors import DomainError
from careloop.core.phones import phone_tail
from careloop.customers.models import Customer, CustomerKey, Interaction, Order, Tag
from careloop.customers.services import customers_refresh_order_summary, derived_name_fields
from careloop.demo import data
from careloop.demo.activity import DEMO_SEGMENT_NAMES, ActivitySummary, demo_activity
from careloop.emotion.services import interactions_set_emotion
from careloop.segments.models import SavedSegment, SegmentRun

log = logging.getLogger(__name__)
T = TypeVar("T")

DEMO_PASSWORD = "careloop123"
# (username, role, team code, display name)
DEMO_USERS = [
    ("admin", User.Role.ADMIN, None, "系统管理员"),
    ("supervisor", User.Role.SUPERVISOR, "east", "周建华"),
    ("agent1", User.Role.AGENT, "east", "林晓燕"),
    ("agent2", User.Role.AGENT, "south", "黄志强"),
    ("agent3", User.Role.AGENT, "north", "赵雪梅"),
]
CUSTOMER_PREFIX, ORDER_PREFIX, COMPLAINT_PREFIX = "KH", "DD", "TS"
DEMO_CUSTOMER_ID = r"^KH[0-9]{7}$"
MAX_CUSTOMERS = 1_000_000
HISTORY_DAYS = 4 * 365  # first orders reach back about four years
CHUNK = 1000  # customers generated and written per round; memory stays flat
ARCHETYPES = [
    ("prospect", 0.05),
    ("new", 0.09),
    ("active", 0.32),
    ("declining", 0.09),
    ("dormant", 0.24),
    ("lost", 0.21),
]


class Weighted:
    """Values with weights, drawn in O(log n) with one random number."""

    def __init__(self, pairs: Sequence[tuple[Any, float]]):
        self.values = [v for v, _w in pairs]
        self.cum = list(accumulate(w for _v, w in pairs))

    def draw(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


# Hour-of-day weights (local time) for consumers and for businesses.
HOURS_B2C = Weighted(
    list(zip(range(7, 24), [1, 2, 4, 6, 6, 5, 4, 5, 6, 5, 4, 5, 6, 8, 9, 7, 3], strict=True))
)
HOURS_B2B = Weighted(list(zip(range(8, 19), [2, 6, 8, 7, 3, 5, 8, 8, 7, 5, 2], strict=True)))
ARCHETYPE = Weighted(ARCHETYPES)
SURNAME = Weighted(data.SURNAMES)
GROUP = Weighted([(g, w) for g, (w, _provinces) in data.REGION_GROUPS.items()])
PROVINCE = {g: Weighted([(p, p[1]) for p in ps]) for g, (_w, ps) in data.REGION_GROUPS.items()}
CONSUMER_CHANNEL = Weighted(data.CONSUMER_CHANNELS)
BUSINESS_CHANNEL = Weighted(data.BUSINESS_CHANNELS)
EMAIL_DOMAIN = Weighted(data.EMAIL_DOMAINS)
COMPLAINT_CHANNEL = Weighted(data.COMPLAINT_CHANNELS)
TONE = Weighted([("calm", 0.45), ("angry", 0.35), ("threat", 0.2)])
STATUS_RECENT = Weighted([("open", 0.7), ("resolved", 0.3)])
STATUS_OLD = Weighted([("open", 0.08), ("resolved", 0.3), ("closed", 0.62)])
QUANTITY = Weighted([(1, 0.85), (2, 0.12), (3, 0.03)])
CONSULTS = Weighted([(0, 0.4), (1, 0.35), (2, 0.18), (3, 0.07)])
CONSULT_CHANNEL = Weighted([("phone", 0.4), ("wechat", 0.4), ("web", 0.2)])
SURVEY_CHANNEL = Weighted([("sms", 0.5), ("wechat", 0.35), ("web", 0.15)])
PROMO_CHANNEL = Weighted([("sms", 0.6), ("wechat", 0.3), ("email", 0.1)])
SUGGESTION_CHANNEL = Weighted([("web", 0.4), ("wechat", 0.4), ("phone", 0.2)])
SURVEY_KIND = Weighted([("nps", 0.4), ("csat", 0.4), ("both", 0.2)])
CALLBACK_OUTCOME = Weighted([("reached", 0.75), ("unreached", 0.2), ("refused", 0.05)])
COMPOUND_SURNAMES = [s for s, _w in data.SURNAMES if len(s) == 2]


class DemoDataExists(DomainError):
    code, status = "demo_exists", 409


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    team: str


@dataclass
class DemoSummary:
    seed: int
    as_of: date
    customers: int = 0
    business: int = 0
    orders: int = 0
    complaints: int = 0
    interactions: int = 0
    activity: ActivitySummary | None = None
    seconds: float = 0.0
    logins: list[DemoLogin] = field(default_factory=list)


# --- users, reset, logins ---------------------------------------------------------------------


@transaction.atomic
def demo_users_ensure() -> list[User]:
    """The three teams and the four demo logins; existing users are left as they are."""
    teams = {
        code: team_ensure(code=code, name=name, region=region) for code, name, region in data.TEAMS
    }
    users = []
    for username, role, team_code, display_name in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                team=teams.get(team_code),
                display_name=display_name,
            )
        users.append(user)
    return users


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist, in the order admin, supervisor, agents."""
    names = [u[0] for u in DEMO_USERS]
    users = {u.username: u for u in User.objects.filter(username__in=names).select_related("team")}
    return [
        DemoLogin(
            role=str(User.Role(users[n].role).label),
            username=n,
            password=DEMO_PASSWORD,
            team=users[n].team.name if users[n].team else "—",
        )
        for n in names
        if n in users
    ]


def demo_customers() -> Any:
    return Customer.objects.filter(external_id__regex=DEMO_CUSTOMER_ID)


@transaction.atomic
def demo_reset() -> int:
    """Delete the demo customers (KH0000001 …) with everything that hangs on them (orders,
    complaints, contacts, tasks, callback records, tickets, leads, messages, opt-outs), the
    plan and segmentation runs of the days the demo planned, its saved segments (unless a
    care rule uses one) and demo tags nobody uses any more. Users, teams, departments, care
    rules and other customers stay. Returns the count."""
    ids = list(demo_customers().values_list("pk", flat=True))
    days = CallbackTask.objects.filter(customer_id__in=demo_customers().values("pk")).aggregate(
        first=Min("plan_date"), last=Max("plan_date")
    )
    if days["first"] is not None:  # the plan runs the demo replayed, with their counts
        PlanRun.objects.filter(as_of__range=(days["first"], days["last"])).delete()
        SegmentRun.objects.filter(as_of__range=(days["first"], days["last"])).delete()
    SavedSegment.objects.filter(name__in=DEMO_SEGMENT_NAMES, care_rules__isnull=True).delete()
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        Order.objects.filter(customer_id__in=part).delete()
        Interaction.objects.filter(customer_id__in=part).delete()
        Complaint.objects.filter(customer_id__in=part).delete()
        Customer.objects.filter(pk__in=part).delete()
    Tag.objects.filter(name__in=data.DEMO_TAGS, customers__isnull=True).delete()
    log.info("demo.reset", extra={"customers": len(ids)})
    return len(ids)


# --- generation -------------------------------------------------------------------------------


def demo_generate(*, customers: int, seed: int, as_of: date, activity: bool = True) -> DemoSummary:
    """Create the demo users and `customers` customers with their history, then (`activity`)
    replay the last weeks of call-center work on them (`careloop.demo.activity`); all or
    nothing."""
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise DomainError(_("客户数量必须在 1 到 1000000 之间"), field="customers")
    started = monotonic.perf_counter()
    with transaction.atomic():
        if demo_customers().exists():
            raise DemoDataExists(
                _("数据库里已有演示客户（客户编号 KH…）；加 --reset 先删除再生成"), field="reset"
            )
        users = demo_users_ensure()
        generator = _Generator(seed=seed, as_of=as_of, users=users)
        summary = DemoSummary(seed=seed, as_of=as_of)
        for start in range(0, customers, CHUNK):
            generator.write_chunk(range(start + 1, min(customers, start + CHUNK) + 1), summary)
            reset_queries()  # with DEBUG on, Django keeps every query: memory would grow
        if activity:
            summary.activity = demo_activity(as_of=as_of, seed=seed, users=users)
            reset_queries()
    summary.seconds = monotonic.perf_counter() - started
    summary.logins = demo_logins()
    log.info(
        "demo.done",
        extra={
            "customers": summary.customers,
            "orders": summary.orders,
            "seconds": summary.seconds,
        },
    )
    return summary


@dataclass
class _Bundle:
    """One customer and everything that happened to them, before it is written."""

    customer: Customer
    tags: list[str]
    orders: list[Order]
    complaints: list[Complaint]
    interactions: list[Interaction]


class _Generator:
    def __init__(self, *, seed: int, as_of: date, users: Sequence[User]):
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.tz = timezone.get_default_timezone()
        self.as_of_start = datetime.combine(as_of, time.min, tzinfo=self.tz)
        self.users = {u.username: u for u in users}
        self.teams = {t.code: t for t in Team.objects.filter(code__in=data.TEAM_OF_GROUP.values())}
        self.agent_of_team = {
            "east": self.users["agent1"],
            "south": self.users["agent2"],
            "north": self.users["agent3"],
        }
        self.phones: set[str] = set()
        self.twins: list[tuple[str, str, str]] = []
        self.names: dict[str, dict[str, str]] = {}
        self.pinyin: dict[str, str] = {}
        self.order_no = 0
        self.complaint_no = 0
        self.tag_ids: dict[str, int] = {}
        self._days(HISTORY_DAYS + 400)
        self.promo_days = [self.last(6, 1), self.last(10, 20), self.last_new_year_fair()]

    # -- random helpers --

    def pick(self, weighted: Weighted) -> Any:
        return weighted.draw(self.rng)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _days(self, span: int) -> None:
        """Per-day seasonal weights (offset = days before as_of) as cumulative sums."""
        self.span = span
        consumer, business = [], []
        for off in range(span + 1):
            day = self.as_of - timedelta(days=off)
            c, b = _season(day)
            consumer.append(c)
            business.append(b)
        self.cum = {"c": list(accumulate(consumer)), "b": list(accumulate(business))}

    def day_between(self, lo: int, hi: int, kind: str) -> int:
        """A day offset in [lo, hi] (days before as_of), weighted by the shopping season."""
        lo, hi = max(1, min(lo, hi)), min(self.span, max(lo, hi))
        cum = self.cum[kind]
        u = self.rng.uniform(cum[lo - 1], cum[hi])
        return min(hi, max(lo, bisect.bisect_left(cum, u)))

    def last(self, month: int, day: int) -> date:
        """The latest date with this month and day strictly before as_of."""
        candidate = date(self.as_of.year, month, day)
        return candidate if candidate < self.as_of else candidate.replace(year=self.as_of.year - 1)

    def last_new_year_fair(self) -> date:
        """The start of the latest 年货节 (25 days before 春节) before as_of."""
        for year in (self.as_of.year + 1, self.as_of.year, self.as_of.year - 1):
            start = _spring_festival(year) - timedelta(days=25)
            if start < self.as_of - timedelta(days=6):
                return start
        return self.as_of - timedelta(days=365)

    def at(self, off: int, *, business: bool = False) -> datetime:
        """A local time on the day `off` days before as_of, at a plausible hour."""
        hours = HOURS_B2B if business else HOURS_B2C
        hour = self.pick(hours)
        day = self.as_of - timedelta(days=max(1, off))
        moment = datetime.combine(day, time(hour, self.rng.randrange(60)), tzinfo=self.tz)
        return moment.replace(second=self.rng.randrange(60))

    def before_as_of(self, moment: datetime) -> bool:
        return moment < self.as_of_start

    def days_before(self, moment: datetime) -> int:
        return (self.as_of - moment.astimezone(self.tz).date()).days

    # -- customers --

    def name(self, gender: str) -> str:
        surname = self.pick(SURNAME)
        pool = data.GIVEN_MALE if gender == "M" else data.GIVEN_FEMALE
        given = self.rng.choice(pool)
        if self.chance(0.7):
            given += self.rng.choice(pool)
        return surname + given

    def phone(self, tail: str | None = None) -> str:
        while True:
            number = f"+86{self.rng.choice(data.MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if tail:
                number = number[:-4] + tail
            if number not in self.phones:
                self.phones.add(number)
                return number

    def romanise(self, text: str) -> str:
        if text not in self.pinyin:
            self.pinyin[text] = "".join(lazy_pinyin(text)).lower()
        return self.pinyin[text]

    def bundle(self, number: int) -> _Bundle:
        rng = self.rng
        business = self.chance(0.3)
        group = self.pick(GROUP)
        province, _w, cities = self.pick(PROVINCE[group])
        city = cities[0] if len(cities) == 1 or self.chance(0.45) else rng.choice(cities)
        gender = "F" if self.chance(0.42 if business else 0.56) else "M"
        name = self.name(gender)
        # About 1 in 200 customers registered twice (another shop, a new SIM with the same last
        # four digits): the duplicates page then has something real to merge.
        twin = self.twins[-1] if self.twins and self.chance(0.005) else None
        if twin is not None:
            name, gender = twin[0], twin[1]
        if name not in self.names:
            self.names[name] = derived_name_fields(name)
        phone = self.phone(tail=twin[2][-4:] if twin else None)
        if self.chance(0.05):
            self.twins.append((name, gender, phone))
        company = industry = email = ""
        core = ""
        if business:
            industry = rng.choice(list(data.BUSINESS_INDUSTRIES))
            core = rng.choice(data.COMPANY_CORES)
            company = f"{city}{core}{rng.choice(data.BUSINESS_INDUSTRIES[industry][0])}"
            if self.chance(0.8):
                email = f"{self.names[name]['name_pinyin']}@{self.romanise(core)}.com.cn"
        else:
            if self.chance(0.6):
                industry = rng.choice(data.CONSUMER_INDUSTRIES)
            if self.chance(0.45):
                domain = self.pick(EMAIL_DOMAIN)
                if domain == "qq.com" and self.chance(0.6):
                    email = f"{rng.randrange(10**7, 3 * 10**9)}@qq.com"
                else:
                    email = f"{self.names[name]['name_pinyin']}{rng.randrange(1, 999)}@{domain}"
        birthday = None
        if self.chance(0.85):
            age = rng.randint(28, 58) if business else int(rng.triangular(20, 68, 34))
            month = rng.randint(1, 12)
            birthday = date(self.as_of.year - age, month, rng.randint(1, 28 if month == 2 else 30))
        team_code = data.TEAM_OF_GROUP[group]
        customer = Customer(
            external_id=f"{CUSTOMER_PREFIX}{number:07d}",
            name=name,
            gender=gender,
            phone=phone,
            phone_tail=phone_tail(phone),
            email=email,
            birthday=birthday,
            region=province,
            city=city,
            industry=industry,
            company=company,
            team=self.teams.get(team_code),
            do_not_contact=self.chance(0.03),
            **self.names[name],
        )
        archetype = self.pick(ARCHETYPE)
        orders = self.orders(customer, archetype, business=business, industry=industry)
        if orders:
            first = min(o.ordered_at for o in orders)
            back = rng.randint(0, 30) if archetype == "new" else rng.randint(0, 400)
            registered = first - timedelta(days=back, hours=rng.randint(1, 72))
        else:
            registered = self.at(rng.randint(1, 700), business=business)
        customer.registered_at = registered
        complaints = self.complaints(customer, orders, archetype, business=business)
        tags = self.tags(customer, orders, complaints, business=business)
        if team_code in self.agent_of_team:
            vip = data.TAG_VIP in tags
            if self.chance(0.45 if business else (0.4 if vip else 0.08)):
                customer.owner = self.agent_of_team[team_code]
        interactions = self.interactions(customer, orders, complaints, business=business)
        return _Bundle(customer, tags, orders, complaints, interactions)

    # -- orders --

    def orders(
        self, customer: Customer, archetype: str, *, business: bool, industry: str
    ) -> list[Order]:
        rng, H = self.rng, HISTORY_DAYS
        if archetype == "prospect":
            return []
        rate = rng.lognormvariate(math.log(4.5 if business else 2.2), 0.6)
        kind = "b" if business else "c"
        if archetype == "new":
            first = rng.randint(1, 85)
            last = rng.randint(1, first)
        elif archetype in ("active", "declining"):
            first, last = rng.randint(200, H), rng.randint(1, 55)
            rate *= 1.5
        elif archetype == "dormant":
            last = rng.randint(61, 364)
            first = rng.randint(last, H)
        else:  # lost
            last = rng.randint(366, H)
            first = rng.randint(last, min(self.span, H + 365))
        catalogue = self.catalogue(business=business, industry=industry)
        channel = self.pick(BUSINESS_CHANNEL if business else CONSUMER_CHANNEL)
        scale = rng.lognormvariate(0, 0.7 if business else 0.35)
        offsets = [first]
        if archetype == "declining":
            # Regular buying until three months ago, then one small order: 流失预警.
            n = max(0, round(rate * (first - 180) / 365))
            offsets += [self.day_between(181, first, kind) for _i in range(min(n, 40))]
            offsets += [self.day_between(91, 179, kind) for _i in range(rng.randint(2, 3))]
            orders = [self.order(customer, o, catalogue, channel, scale, business) for o in offsets]
            recent = sum(
                o.amount for o in orders if o.ordered_at >= self.as_of_start - timedelta(days=180)
            )
            small = self.order(customer, last, catalogue, channel, scale * 0.3, business)
            small.amount = min(small.amount, (recent * Decimal("0.4")).quantize(Decimal("0.01")))
            small.amount = max(small.amount, Decimal("9.90"))
            orders.append(small)
        else:
            if first != last:
                n = max(2, min(60 if business else 40, round(rate * (first - last) / 365)))
                offsets.append(last)
                offsets += [self.day_between(last, first, kind) for _i in range(n - 2)]
            orders = [self.order(customer, o, catalogue, channel, scale, business) for o in offsets]
        orders.sort(key=lambda o: o.ordered_at)
        for order in orders:
            self.order_no += 1
            order.external_id = f"{ORDER_PREFIX}{self.order_no:09d}"
        return orders

    def catalogue(self, *, business: bool, industry: str) -> list[tuple[str, str, int]]:
        if business:
            return data.BUSINESS_INDUSTRIES[industry][1]
        categories = self.rng.sample(list(data.CONSUMER_CATALOGUE), 2)
        return [(c, p, price) for c in categories for p, price in data.CONSUMER_CATALOGUE[c]]

    def order(
        self,
        customer: Customer,
        off: int,
        catalogue: list,
        channel: str,
        scale: float,
        business: bool,
    ) -> Order:
        rng = self.rng
        category, product, price = rng.choice(catalogue)
        ordered_at = self.at(off, business=business)
        if business:
            amount = price * max(0.2, rng.lognormvariate(math.log(scale), 0.6))
        else:
            qty = self.pick(QUANTITY)
            amount = price * qty * scale**0.5
        if _promo(ordered_at.date()):
            amount *= rng.uniform(0.8, 0.92)
        if not self.chance(0.75):
            channel = self.pick(BUSINESS_CHANNEL if business else CONSUMER_CHANNEL)
        cents = max(990, round(amount * (1 if business else 100)) * (100 if business else 1))
        return Order(
            customer=customer,
            ordered_at=ordered_at,
            amount=Decimal(cents).scaleb(-2),
            product=product,
            category=category,
            channel=channel,
        )

    # -- complaints --

    def complaints(
        self, customer: Customer, orders: list[Order], archetype: str, *, business: bool
    ) -> list[Complaint]:
        rng = self.rng
        if not orders or not self.chance(0.13 if archetype in ("declining", "lost") else 0.055):
            return []
        complaints = []
        for order in rng.sample(orders[-3:], 2 if self.chance(0.15) and len(orders) > 1 else 1):
            order_off = self.days_before(order.ordered_at)
            if order_off < 2:
                continue
            off = max(1, order_off - rng.randint(1, 20))
            complaints.append(self.complaint(customer, order, off, business=business))
        return complaints

    def complaint(self, customer: Customer, order: Order, off: int, *, business: bool) -> Complaint:
        rng = self.rng
        category = rng.choice(data.COMPLAINT_CATEGORIES)
        if category in ("质量问题", "安装调试", "售后服务") and self.chance(
            0.3 if business else 0.04
        ):
            severity = "A"
        elif category in ("价格争议", "服务态度"):
            severity = "B" if self.chance(0.3) else "C"
        elif category == "物流延误":
            severity = "B" if self.chance(0.5) else "C"
        else:
            severity = "B" if self.chance(0.7) else "C"
        tone = self.pick(TONE)
        ordered = order.ordered_at.astimezone(self.tz)
        values = {
            "month": ordered.month,
            "day": ordered.day,
            "channel": order.channel,
            "product": order.product,
            "days": max(1, self.days_before(order.ordered_at) - off),
            "order": order.external_id or "",
            "qty": rng.randint(2, 30),
            "n": rng.randint(2, 5),
            "code": rng.randint(1, 9),
            "amount": rng.choice([80, 120, 150, 200, 260, 300]),
        }
        openings = data.COMPLAINT_OPENINGS_B2B if business else data.COMPLAINT_OPENINGS
        parts = [rng.choice(openings), rng.choice(data.COMPLAINT_DETAILS[category])]
        if severity == "A":
            parts.append("，" + rng.choice(data.COMPLAINT_DETAILS_SEVERE))
        parts += ["。" if tone == "calm" else "，", rng.choice(data.COMPLAINT_TONES[tone])]
        parts.append(rng.choice(data.COMPLAINT_DEMANDS))
        description = "".join(parts).format(**values)
        opened_at = self.at(off, business=business)
        self.complaint_no += 1
        forced = {1: "open", 2: "resolved", 3: "closed"}.get(self.complaint_no)
        recent = off <= 10
        status = forced or self.pick(STATUS_RECENT if recent else STATUS_OLD)
        resolved_at = None
        if status != "open":
            hours = {"A": (3, 30), "B": (12, 96), "C": (24, 168)}[severity]
            resolved_at = opened_at + timedelta(
                hours=rng.randint(*hours), minutes=rng.randrange(60)
            )
            if not self.before_as_of(resolved_at):
                resolved_at = opened_at + timedelta(minutes=rng.randint(20, 90))
            if not self.before_as_of(resolved_at):
                status, resolved_at = "open", None
        return Complaint(
            external_id=f"{COMPLAINT_PREFIX}{self.complaint_no:07d}",
            customer=customer,
            opened_at=opened_at,
            channel=self.pick(COMPLAINT_CHANNEL),
            severity=severity,
            category=category,
            description=description,
            status=status,
            resolved_at=resolved_at,
        )

    # -- tags --

    def tags(
        self,
        customer: Customer,
        orders: list[Order],
        complaints: list[Complaint],
        *,
        business: bool,
    ) -> list[str]:
        year_ago = self.as_of_start - timedelta(days=365)
        recent = [o for o in orders if o.ordered_at >= year_ago]
        spend = sum((o.amount for o in recent), Decimal(0))
        lifetime = sum((o.amount for o in orders), Decimal(0))
        tags = []
        if business:
            tags.append(data.TAG_BUSINESS)
        if spend >= (300000 if business else 8000) or lifetime >= (1500000 if business else 30000):
            tags.append(data.TAG_VIP)
        if len(recent) >= (8 if business else 5):
            tags.append(data.TAG_FREQUENT)
        promo = sum(1 for o in orders if _promo(o.ordered_at.astimezone(self.tz).date()))
        if (len(orders) >= 2 and promo * 2 >= len(orders)) or self.chance(0.08):
            tags.append(data.TAG_PROMO)
        if not business and self.chance(0.25 if data.TAG_PROMO in tags else 0.06):
            tags.append(data.TAG_PRICE)
        loyal = self.as_of_start - timedelta(days=3 * 365)
        if orders and orders[0].ordered_at < loyal and orders[-1].ordered_at >= year_ago:
            tags.append(data.TAG_LOYAL)
        if orders and not business:
            channels = [o.channel for o in orders]
            main = max(set(channels), key=channels.count)
            if main == "线下门店" and self.chance(0.6):
                tags.append(data.TAG_STORE)
            elif main in ("天猫", "京东", "官网") and self.chance(0.5):
                tags.append(data.TAG_ONLINE)
        if customer.birthday and self.chance(0.15):
            tags.append(data.TAG_BIRTHDAY)
        if business and self.chance(0.05):
            tags.append(data.TAG_DEALER)
        if any("12315" in c.description or "消协" in c.description for c in complaints):
            tags.append(data.TAG_WATCH)
        return tags

    # -- interactions --

    def salutation(self, customer: Customer) -> str:
        name = customer.name
        surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s)), name[:1])
        return surname + ("先生" if customer.gender == "M" else "女士")

    def interactions(
        self,
        customer: Customer,
        orders: list[Order],
        complaints: list[Complaint],
        *,
        business: bool,
    ) -> list[Interaction]:
        rng = self.rng
        out: list[Interaction] = []
        sal = self.salutation(customer)
        author = customer.owner or self.agent_of_team.get(
            customer.team.code if customer.team else ""
        )
        products = [o.product for o in orders] or [
            rng.choice(list(data.CONSUMER_CATALOGUE["净水设备"]))[0]
        ]
        categories = [o.category for o in orders] or ["净水设备"]
        mood_bad = bool(complaints)
        registered_off = max(1, self.days_before(customer.registered_at))

        def add(moment: datetime, kind: str, channel: str, text: str, **extra: Any) -> None:
            if self.before_as_of(moment) and moment >= customer.registered_at - timedelta(days=30):
                out.append(
                    Interaction(
                        customer=customer,
                        occurred_at=moment,
                        kind=kind,
                        channel=channel,
                        text=text,
                        **extra,
                    )
                )

        fill = {"salutation": sal, "n": rng.randint(3, 40), "digits": rng.randrange(10**11, 10**12)}
        # Consultations before and after buying.
        for _i in range(self.pick(CONSULTS) + (1 if business else 0)):
            questions = (
                data.CONSULT_QUESTIONS_B2B
                if business and self.chance(0.6)
                else data.CONSULT_QUESTIONS
            )
            text = (
                rng.choice(data.CONSULT_GREETINGS)
                + rng.choice(questions)
                + rng.choice(data.CONSULT_TAILS)
            )
            moment = self.at(rng.randint(1, registered_off), business=business)
            add(
                moment,
                "consult",
                self.pick(CONSULT_CHANNEL),
                text.format(product=rng.choice(products), **fill),
            )
        # Welcome message after the first order.
        if orders and not customer.do_not_contact and self.chance(0.6):
            first = orders[0]
            add(
                first.ordered_at + timedelta(days=1, hours=rng.randint(0, 3)),
                "message",
                "sms",
                data.MESSAGE_WELCOME.format(product=first.product, **fill),
            )
        for order in orders[-8:]:
            if self.chance(0.15):
                add(
                    order.ordered_at + timedelta(hours=rng.randint(4, 30)),
                    "message",
                    "sms",
                    data.MESSAGE_SHIPPED.format(product=order.product, **fill),
                )
            if self.chance(0.18):
                add(
                    order.ordered_at + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8)),
                    "survey",
                    self.pick(SURVEY_CHANNEL),
                    **self.survey(mood_bad),
                )
            if self.chance(0.12):
                add(
                    order.ordered_at + timedelta(days=rng.randint(3, 15), hours=rng.randint(0, 6)),
                    "callback",
                    "visit" if business and self.chance(0.3) else "phone",
                    self.callback(sal, order.product),
                    author=author,
                )
        for complaint in complaints:
            if complaint.resolved_at and self.chance(0.6):
                verdict = rng.choice(["表示满意", "基本满意", "仍不满意，要求补偿"])
                add(
                    complaint.resolved_at + timedelta(days=1, hours=rng.randint(0, 5)),
                    "callback",
                    "phone",
                    f"投诉回访：客户对{complaint.category}的处理结果{verdict}。",
                    author=author,
                )
        if (
            not customer.do_not_contact
            and orders
            and self.days_before(orders[-1].ordered_at) <= 365
        ):
            for template, season in zip(data.MESSAGE_PROMOS, self.promo_days, strict=True):
                if self.chance(0.3):
                    day = season + timedelta(days=rng.randint(0, 6))
                    add(
                        datetime.combine(
                            day, time(rng.randint(10, 19), rng.randrange(60)), tzinfo=self.tz
                        ),
                        "message",
                        self.pick(PROMO_CHANNEL),
                        template.format(category=rng.choice(categories), **fill),
                    )
            if customer.birthday and self.chance(0.3):
                last = customer.birthday.replace(year=self.as_of.year)
                if last >= self.as_of:
                    last = last.replace(year=self.as_of.year - 1)
                moment = datetime.combine(last, time(9, rng.randrange(60)), tzinfo=self.tz)
                add(moment, "message", "sms", data.MESSAGE_BIRTHDAY.format(**fill))
            if self.chance(0.1):
                add(
                    orders[-1].ordered_at + timedelta(days=180),
                    "message",
                    "sms",
                    data.MESSAGE_FILTER.format(product=orders[-1].product, **fill),
                )
        if customer.do_not_contact:
            add(self.at(rng.randint(1, registered_off)), "message", "sms", data.MESSAGE_OPT_OUT)
        if self.chance(0.08):
            prefix = rng.choice(data.SUGGESTION_PREFIXES)
            text = prefix + ("" if "建议" in prefix else "建议") + rng.choice(data.SUGGESTIONS)
            add(
                self.at(rng.randint(1, registered_off), business=business),
                "suggestion",
                self.pick(SUGGESTION_CHANNEL),
                text.format(category=rng.choice(categories)),
            )
        return out

    def survey(self, mood_bad: bool) -> dict[str, Any]:
        rng = self.rng
        kind = self.pick(SURVEY_KIND)
        nps_w = (
            [6, 4, 5, 6, 6, 8, 8, 6, 4, 2, 2] if mood_bad else [1, 1, 1, 1, 1, 2, 3, 8, 12, 20, 25]
        )
        csat_w = [15, 15, 20, 12, 5] if mood_bad else [1, 2, 8, 30, 40]
        nps = rng.choices(range(11), nps_w)[0] if kind in ("nps", "both") else None
        csat = rng.choices(range(1, 6), csat_w)[0] if kind in ("csat", "both") else None
        if nps is not None and csat is not None:  # one answer: the two scores agree
            csat = min(5, max(1, round(nps / 2) + rng.choice((-1, 0, 0, 1))))
        good = (nps is None or nps >= 9) and (csat is None or csat == 5)
        bad = (nps is not None and nps <= 6) or (csat is not None and csat <= 2)
        pool = data.SURVEY_BAD if bad else data.SURVEY_GOOD if good else data.SURVEY_OK
        text = rng.choice(pool) if self.chance(0.75) else ""
        return {"text": text, "nps": nps, "csat": csat}

    def callback(self, salutation: str, product: str) -> str:
        rng = self.rng
        outcome = self.pick(CALLBACK_OUTCOME)
        if outcome == "unreached":
            return rng.choice(data.CALLBACK_UNREACHED)
        if outcome == "refused":
            return rng.choice(data.CALLBACK_REFUSED)
        return rng.choice(data.CALLBACK_REACHED).format(
            salutation=salutation, product=product, issue=rng.choice(data.CALLBACK_ISSUES)
        )

    # -- writing --

    def tag_id(self, name: str) -> int:
        if name not in self.tag_ids:
            tag, _created = Tag.objects.get_or_create(name=name)
            self.tag_ids[name] = tag.pk
        return self.tag_ids[name]

    def write_chunk(self, numbers: range, summary: DemoSummary) -> None:
        bundles = [self.bundle(n) for n in numbers]
        customers = [b.customer for b in bundles]
        Customer.objects.bulk_create(customers, batch_size=500)
        CustomerKey.objects.bulk_create(
            [CustomerKey(external_id=c.external_id, customer=c) for c in customers], batch_size=1000
        )
        through = Customer.tags.through
        through.objects.bulk_create(
            [
                through(customer_id=b.customer.pk, tag_id=self.tag_id(t))
                for b in bundles
                for t in b.tags
            ],
            batch_size=1000,
        )
        orders = [o for b in bundles for o in b.orders]
        Order.objects.bulk_create(orders, batch_size=1000)
        complaints = [c for b in bundles for c in b.complaints]
        Complaint.objects.bulk_create(complaints, batch_size=1000)
        interactions = [i for b in bundles for i in b.interactions]
        interactions_set_emotion(interactions)  # bulk_create bypasses interaction_create
        Interaction.objects.bulk_create(interactions, batch_size=1000)
        customers_refresh_order_summary(customer_ids=[c.pk for c in customers])
        summary.customers += len(customers)
        summary.business += sum(1 for c in customers if c.company)
        summary.orders += len(orders)
        summary.complaints += len(complaints)
        summary.interactions += len(interactions)


def _spring_festival(year: int) -> date:
    return data.SPRING_FESTIVAL.get(year, date(year, 2, 1))


def _promo(day: date) -> bool:
    """618 (1–18 June), 双11 (20 Oct – 11 Nov) and 年货节 (three weeks before 春节)."""
    if (day.month, day.day) >= (6, 1) and (day.month, day.day) <= (6, 18):
        return True
    if (10, 20) <= (day.month, day.day) <= (11, 11):
        return True
    festival = _spring_festival(day.year)
    if day > festival:
        festival = _spring_festival(day.year + 1)
    return 0 < (festival - day).days <= 21


def _season(day: date) -> tuple[float, float]:
    """(consumer, business) order weight of a day: peaks before 春节, at 618 and 双11; quiet
    during the 春节 holiday; businesses buy on weekdays and at the year end."""
    weekend = day.weekday() >= 5
    consumer, business = (1.25 if weekend else 1.0), (0.15 if weekend else 1.0)
    festival = _spring_festival(day.year)
    if day > festival + timedelta(days=20):
        festival = _spring_festival(day.year + 1)
    before = (festival - day).days
    if 0 < before <= 21:
        consumer += 1.5
        business += 0.8
    elif -7 <= before <= 0:
        consumer *= 0.35
        business *= 0.1
    md = (day.month, day.day)
    if (6, 1) <= md <= (6, 18):
        consumer += 1.0 + (1.5 if md >= (6, 16) else 0)
    if (10, 20) <= md <= (11, 11):
        consumer += 1.5 + (2.5 if md >= (11, 9) else 0)
    if (12, 1) <= md <= (12, 12):
        consumer += 0.5
    if day.month == 12:
        business += 0.6
    return consumer, business
