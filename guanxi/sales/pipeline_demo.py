"""Demo data of the sales pipeline: the default stages, about 40 leads in every state,
about 150 opportunities over the last two years, and this year's sales targets.

Runs after the customers (order 20) and the products (30); without customers it only
creates the stages, without products the opportunities have no product lines. Won and
lost deals were closed in the past (their stage history walks the pipeline up to the
close), open ones close in the coming months, and a few are big (above the demo's
big-deal threshold, so the managers have alerts). Deterministic (`random.Random(SEED)`,
dates as offsets from the day of seeding) and idempotent: what already exists is left
alone. Rows are written in bulk, with their history.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_scopes import scopes_disabled
from simple_history.utils import bulk_create_with_history

from guanxi.core.demo import DemoContext, register_demo_seeder
from guanxi.parties.models import Contact, Party
from guanxi.sales.models import (
    Lead,
    Opportunity,
    OpportunityLine,
    PipelineStage,
    SalesTarget,
    StageChange,
)
from guanxi.sales.pipeline_services import ensure_default_stages
from guanxi.sales.pricing import price_line

SEED = 20260440
OPPORTUNITIES = 150
LEADS = 40
BIG_DEAL_THRESHOLD = Decimal("500000.00")
CENT = Decimal("0.01")

DEALS = (
    "年度采购框架协议",
    "新办公楼设备采购",
    "生产线升级改造",
    "门店扩张配套",
    "信息化系统建设",
    "季度补货计划",
    "新品试用推广",
    "分公司开业采购",
    "设备更新换代",
    "售后服务续约",
    "展会样品订购",
    "仓储物流改造",
)
LEAD_COMPANIES = (
    ("杭州云帆科技有限公司", "陈晓"),
    ("苏州博远机电有限公司", "周敏"),
    ("宁波海通贸易有限公司", "吴强"),
    ("合肥新锐电子有限公司", "郑丽"),
    ("南昌恒泰建材有限公司", "王磊"),
    ("无锡佳和家居有限公司", "孙婷"),
    ("常州创维自动化有限公司", "李军"),
    ("温州金鼎鞋业有限公司", "赵燕"),
    ("嘉兴绿源食品有限公司", "钱伟"),
    ("绍兴天成纺织有限公司", "冯静"),
    ("扬州瑞丰医疗器械有限公司", "褚涛"),
    ("泉州闽南包装有限公司", "卫芳"),
    ("佛山顺达五金有限公司", "蒋勇"),
    ("东莞精工模具有限公司", "沈洁"),
    ("中山华美灯饰有限公司", "韩超"),
    ("珠海蓝海软件有限公司", "杨帆"),
    ("", "朱先生"),
    ("", "秦女士"),
    ("长沙星辰教育咨询有限公司", "尤佳"),
    ("武汉光谷光电有限公司", "许斌"),
)
LEAD_SUBJECTS = (
    "咨询批量采购报价",
    "官网留言：了解产品方案",
    "展会名片：有采购意向",
    "老客户介绍的新项目",
    "电话咨询代理合作",
    "需要样品测试",
    "年底集中采购需求",
    "微信咨询售后服务",
)
DISQUALIFY_REASONS = (
    "预算不足",
    "只是了解行情，暂无需求",
    "已与竞争对手签约",
    "联系不上",
    "不在服务区域",
)
WIN_REASONS = ("价格有优势", "交付周期短", "老客户信任", "方案更贴合需求", "")
LOSS_REASONS = ("价格高于竞争对手", "客户预算取消", "选择了竞争对手", "交期无法满足", "项目延期")
SOURCES = tuple(Party.Source.values)


def _users(ctx: DemoContext) -> dict[str, Any]:
    from guanxi.accounts.models import User

    users = dict(ctx.users)
    missing = {"manager", "sales1", "sales2", "sales3", "admin"} - set(users)
    if missing:
        with scopes_disabled():
            users.update({u.username: u for u in User.objects.filter(username__in=missing)})
    return users


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def _office(day: datetime, zone: ZoneInfo, rng: random.Random) -> datetime:
    local = day.astimezone(zone)
    return local.replace(
        hour=rng.randint(9, 17), minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0
    )


class _Builder:
    def __init__(
        self, org: Any, stages: list[PipelineStage], rng: random.Random, now: datetime
    ) -> None:
        self.org, self.rng, self.now = org, rng, now
        self.zone = ZoneInfo(org.time_zone or "Asia/Shanghai")
        self.open = [s for s in stages if s.outcome == PipelineStage.Outcome.OPEN and s.is_active]
        self.won = next(s for s in stages if s.outcome == PipelineStage.Outcome.WON)
        self.lost = next(s for s in stages if s.outcome == PipelineStage.Outcome.LOST)

    def lines(self, products: list[Any], big: bool) -> list[OpportunityLine]:
        rng = self.rng
        rows = []
        for index, product in enumerate(
            rng.sample(products, k=min(len(products), rng.randint(1, 3)))
        ):
            quantity = Decimal(rng.choice((1, 2, 5, 10, 20, 50, 100)) * (20 if big else 1))
            discount = Decimal(rng.choice((0, 0, 5, 10, 15)))
            price = (
                product.list_price if product.list_price > 0 else Decimal(rng.randint(100, 5000))
            )
            amounts = price_line(quantity, price, discount, product.tax_rate)
            rows.append(
                OpportunityLine(
                    org=self.org,
                    position=index,
                    product=product,
                    quantity=quantity,
                    unit_price=price,
                    discount_percent=discount,
                    tax_rate=product.tax_rate,
                    net_amount=amounts.net,
                    tax_amount=amounts.tax,
                    total_amount=amounts.total,
                )
            )
        return rows

    def path(
        self, final: PipelineStage, start: datetime, end: datetime
    ) -> list[tuple[PipelineStage, datetime]]:
        """The stages the deal went through and when it entered each."""
        rng = self.rng
        if final.outcome == PipelineStage.Outcome.OPEN:
            steps = self.open[: self.open.index(final) + 1]
        else:
            reached = rng.randint(1, len(self.open)) if final == self.won else rng.randint(1, 3)
            steps = [*self.open[:reached], final]
        span = max((end - start).total_seconds(), 3600)
        times = sorted(start + timedelta(seconds=span * rng.random()) for _ in steps[1:])
        return list(zip(steps, [start, *times], strict=True))


def _seed_opportunities(
    ctx: DemoContext, builder: _Builder, customers: list[Party], users: dict[str, Any]
) -> list[Opportunity]:
    from guanxi.catalog.models import Product

    rng, now, org = builder.rng, builder.now, ctx.org
    products = list(Product.objects.filter(is_voided=False).order_by("id")[:200])
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(party__in=customers).order_by("id"):
        contacts.setdefault(contact.party_id, []).append(contact)
    reps = [users[name] for name in ("sales1", "sales2", "sales3", "manager") if users.get(name)]
    if not reps:
        reps = [users["admin"]] if users.get("admin") else []
    if not reps:
        return []
    rows: list[tuple[Opportunity, list[OpportunityLine], list[tuple[PipelineStage, datetime]]]] = []
    # A few big customers get more (and bigger) deals.
    favourites = customers[: max(3, len(customers) // 10)]
    for number in range(OPPORTUNITIES):
        party = rng.choice(favourites) if rng.random() < 0.3 else rng.choice(customers)
        owner = party.owner or rng.choice(reps)
        big = number % 25 == 7
        created = _office(now - timedelta(days=rng.randint(0, 730)), builder.zone, rng)
        age = (now - created).days
        if age > 120 or (age > 30 and rng.random() < 0.4):
            final = builder.won if rng.random() < 0.55 else builder.lost
            closed = min(created + timedelta(days=rng.randint(7, 90)), now - timedelta(hours=2))
            close_date = closed.astimezone(builder.zone).date()
        else:
            weights = [5, 4, 3, 2][: len(builder.open)] or [1]
            final = rng.choices(builder.open[: len(weights)], weights)[0]
            closed = None
            close_date = (now + timedelta(days=rng.randint(3, 150))).astimezone(builder.zone).date()
        lines = builder.lines(products, big) if products and rng.random() < 0.8 else []
        if lines:
            amount = sum((line.total_amount for line in lines), Decimal("0"))
        else:
            amount = Decimal(rng.randint(50, 2000) * 100)
        if big:
            amount = max(amount, Decimal(rng.randint(6, 20) * 100_000))
        people = contacts.get(party.pk, [])
        opp = Opportunity(
            org=org,
            name=f"{party.display_name} {rng.choice(DEALS)}",
            party=party,
            contact=rng.choice(people) if people else None,
            stage=final,
            probability=final.probability,
            amount=amount.quantize(CENT),
            close_date=close_date,
            source=rng.choice(SOURCES),
            owner=owner,
        )
        path = builder.path(final, created, closed or now - timedelta(hours=1))
        opp.stage_entered_at = path[-1][1]
        if final.outcome == PipelineStage.Outcome.WON:
            opp.status, opp.closed_at = Opportunity.Status.WON, path[-1][1]
            opp.close_reason = rng.choice(WIN_REASONS)
        elif final.outcome == PipelineStage.Outcome.LOST:
            opp.status, opp.closed_at = Opportunity.Status.LOST, path[-1][1]
            opp.close_reason = rng.choice(LOSS_REASONS)
        rows.append((opp, lines, path))
    created_rows = bulk_create_with_history(
        [opp for opp, _l, _p in rows], Opportunity, batch_size=500, default_user=users.get("admin")
    )
    lines_out, changes = [], []
    for opp, (_o, lines, path) in zip(created_rows, rows, strict=True):
        start = path[0][1]
        opp.created_at = opp.updated_at = start
        for line in lines:
            line.opportunity = opp
            lines_out.append(line)
        previous = None
        for stage, when in path:
            changes.append(
                StageChange(
                    org=org,
                    opportunity=opp,
                    from_stage=previous,
                    to_stage=stage,
                    changed_at=when,
                    changed_by=opp.owner,
                )
            )
            previous = stage
    Opportunity.all_objects.bulk_update(created_rows, ["created_at", "updated_at"], batch_size=500)
    OpportunityLine.objects.bulk_create(lines_out, batch_size=500)
    StageChange.objects.bulk_create(changes, batch_size=500)
    return created_rows


def _seed_leads(
    ctx: DemoContext,
    rng: random.Random,
    now: datetime,
    opportunities: list[Opportunity],
    users: dict[str, Any],
) -> int:
    org = ctx.org
    reps = [users[name] for name in ("sales1", "sales2", "sales3") if users.get(name)] or [
        users.get("admin")
    ]
    converted = [o for o in opportunities if o.status == Opportunity.Status.OPEN][:8]
    statuses = (
        [Lead.Status.NEW] * 14
        + [Lead.Status.QUALIFIED] * 10
        + [Lead.Status.DISQUALIFIED] * 8
        + [Lead.Status.CONVERTED] * len(converted)
    )
    leads = []
    for index, status in enumerate(statuses[:LEADS]):
        company, person = LEAD_COMPANIES[index % len(LEAD_COMPANIES)]
        created = now - timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 8))
        lead = Lead(
            org=org,
            title=rng.choice(LEAD_SUBJECTS),
            company=company,
            person_name=person,
            phone=_mobile(rng),
            email=f"lead{index + 1}@example.com" if rng.random() < 0.5 else "",
            source=rng.choice(SOURCES),
            status=status,
            estimated_amount=Decimal(rng.randint(20, 800) * 100),
            owner=rng.choice(reps),
        )
        if status == Lead.Status.DISQUALIFIED:
            lead.disqualify_reason = rng.choice(DISQUALIFY_REASONS)
        if status == Lead.Status.CONVERTED:
            opp = converted.pop(0)
            lead.title = opp.name
            lead.company = opp.party.name
            lead.person_name = opp.contact.name if opp.contact else person
            lead.party, lead.contact, lead.opportunity = opp.party, opp.contact, opp
            lead.estimated_amount = opp.amount
            lead.owner = opp.owner
            lead.converted_at = opp.created_at
            created = opp.created_at - timedelta(days=rng.randint(1, 10))
        leads.append((lead, created))
    rows = bulk_create_with_history(
        [lead for lead, _c in leads], Lead, batch_size=500, default_user=users.get("admin")
    )
    for row, (_lead, created) in zip(rows, leads, strict=True):
        row.created_at = row.updated_at = created
    Lead.all_objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)
    return len(rows)


def _seed_targets(ctx: DemoContext, rng: random.Random, today: date, users: dict[str, Any]) -> int:
    from guanxi.accounts.models import Membership

    org = ctx.org
    reps = [users[name] for name in ("sales1", "sales2", "sales3") if users.get(name)]
    targets = []
    for user in reps:
        base = rng.randint(8, 20) * 10_000
        for month in range(1, 13):
            # Busier before the Spring Festival and at the year's end.
            season = Decimal("1.3") if month in (1, 11, 12) else Decimal("1")
            amount = (Decimal(base) * season).quantize(CENT)
            targets.append(
                SalesTarget(
                    org=org, user=user, period="month", year=today.year, number=month, amount=amount
                )
            )
    team_ids = sorted(
        {m.team_id for m in Membership.objects.filter(org=org, user__in=reps) if m.team_id}
    )
    for team_id in team_ids:
        for quarter in range(1, 5):
            targets.append(
                SalesTarget(
                    org=org,
                    team_id=team_id,
                    period="quarter",
                    year=today.year,
                    number=quarter,
                    amount=Decimal(rng.randint(60, 120) * 10_000),
                )
            )
    bulk_create_with_history(targets, SalesTarget, batch_size=500, default_user=users.get("admin"))
    return len(targets)


def seed_pipeline(ctx: DemoContext) -> None:
    started = time.monotonic()
    org = ctx.org
    stages = ensure_default_stages(org)
    users = _users(ctx)
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    now = timezone.now()
    from guanxi.sales.settings_services import sales_settings, update_sales_settings

    if sales_settings(org).big_deal_threshold is None:
        update_sales_settings(
            org=org, actor=users.get("admin"), data={"big_deal_threshold": BIG_DEAL_THRESHOLD}
        )
    customers = list(Party.objects.filter(is_customer=True).select_related("owner").order_by("id"))
    opportunities: list[Opportunity] = []
    if Opportunity.all_objects.filter(org=org).exists():
        ctx.log("demo opportunities already there")
    elif not customers:
        ctx.log("no customers yet: only the pipeline stages")
    else:
        builder = _Builder(org, stages, rng, now)
        opportunities = _seed_opportunities(ctx, builder, customers, users)
        _alert_big_deals(org, opportunities, users)
    leads = 0
    if not Lead.all_objects.filter(org=org).exists():
        leads = _seed_leads(ctx, rng, now, opportunities, users)
    targets = 0
    if not SalesTarget.objects.filter(org=org).exists():
        targets = _seed_targets(ctx, rng, timezone.localdate(), users)
    ctx.log(
        f"{len(stages)} stages, {len(opportunities)} opportunities, {leads} leads, "
        f"{targets} targets in {time.monotonic() - started:.1f} s"
    )


def _alert_big_deals(org: Any, opportunities: list[Opportunity], users: dict[str, Any]) -> None:
    """The open big deals notify the managers, as creating them in the app would."""
    from guanxi.sales.alerts import notify_big_deal

    for opp in opportunities:
        if opp.status == Opportunity.Status.OPEN and opp.amount >= BIG_DEAL_THRESHOLD:
            notify_big_deal(org, opp, opp.amount, opp.get_absolute_url(), actor=opp.owner)


register_demo_seeder("sales.pipeline", 40, seed_pipeline)
