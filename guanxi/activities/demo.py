"""Demo data: about a year of activities on the demo organisation's customers.

Runs after the customers seeder (order 20) and does nothing when there are no customers.
Each customer gets 4–14 activities over the past year — calls, contact records by phone,
visit, WeChat, e-mail and SMS, meetings, notes, customer care and expenses — with the
latest contact exactly at the customer's recorded last contact (so the shared-pool rules
see the same history the timeline shows), and customers with an owner get open tasks
(some overdue) and coming meetings with reminders.

Deterministic (`random.Random(SEED)`, times as offsets from the day of seeding) and
idempotent: an organisation that already has activities is left alone. Rows are written
in bulk, with their history.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from guanxi.activities.models import Activity
from guanxi.core.demo import DemoContext, register_demo_seeder
from guanxi.parties.models import Contact, Party

SEED = 20260140
K = Activity.Kind

CALLS = (
    ("电话沟通报价细节", "客户同意下周下单"),
    ("确认发货时间", "已确认周五发货"),
    ("回访产品使用情况", "使用正常，提出两点改进建议"),
    ("催收上月货款", "财务承诺月底前付清"),
    ("约下次拜访时间", "约定下周三上午见面"),
    ("询问新品需求", "暂无需求，三个月后再联系"),
    ("客户来电咨询售后", "已转技术支持处理"),
    ("沟通年度框架协议", "需要再比较两家供应商"),
)
RECORDS = (
    (Activity.Channel.VISIT, "上门拜访，介绍新品", "客户对新品感兴趣，索要样品"),
    (Activity.Channel.WECHAT, "微信发送产品资料", "客户已读，表示会转给技术部"),
    (Activity.Channel.EMAIL, "邮件发送报价单", "客户回复需申请折扣"),
    (Activity.Channel.SMS, "短信通知货已到站", "客户回复收到"),
    (Activity.Channel.PHONE, "电话跟进合同进度", "合同在法务审核中"),
    (Activity.Channel.VISIT, "陪同技术人员现场调试", "设备运行正常"),
    (Activity.Channel.WECHAT, "微信群答疑", "解答了安装问题"),
)
MEETINGS = (
    ("季度业务洽谈会", "客户会议室"),
    ("产品演示会", "我司展厅"),
    ("合同条款谈判", "客户总部"),
    ("年度采购计划沟通", "线上视频会议"),
    ("新品推介会", "酒店会议厅"),
)
NOTES = (
    "客户关注交货周期，对价格较敏感",
    "决策人为采购总监，财务经理有否决权",
    "预算下季度批复，可提前准备方案",
    "竞争对手近期报价低 5%",
    "客户计划明年扩建二期工厂",
    "对方更习惯微信沟通，少打电话",
)
CARE = (
    (Activity.CareType.FESTIVAL, "春节问候", "客户回复感谢"),
    (Activity.CareType.FESTIVAL, "中秋节问候", "客户表示感谢"),
    (Activity.CareType.GIFT, "中秋礼品（月饼）", "已签收"),
    (Activity.CareType.BIRTHDAY, "生日祝福", "客户很高兴"),
    (Activity.CareType.RETURN_VISIT, "售后回访", "满意，建议加快响应"),
    (Activity.CareType.THANKS, "感谢合作信", ""),
    (Activity.CareType.SATISFACTION, "年度满意度回访", "总体满意，评分 9 分"),
)
EXPENSES = (
    (Activity.ExpenseCategory.TRAVEL, "出差拜访差旅费", 500, 3000),
    (Activity.ExpenseCategory.ENTERTAINMENT, "商务宴请", 300, 2000),
    (Activity.ExpenseCategory.GIFT, "节日礼品", 100, 800),
    (Activity.ExpenseCategory.TRANSPORT, "打车费", 30, 150),
    (Activity.ExpenseCategory.SAMPLE, "寄送样品快递费", 20, 200),
    (Activity.ExpenseCategory.EXHIBITION, "展会展位分摊", 1000, 5000),
)
TASKS = (
    "准备报价单",
    "寄送样品",
    "整理客户需求清单",
    "跟进合同签署",
    "安排技术支持上门",
    "核对对账单",
    "准备年度合作方案",
)
# Past activities: (kind, weight). Contacts with the customer are the most common.
PAST_KINDS = (
    (K.CONTACT_RECORD, 30),
    (K.CALL, 25),
    (K.NOTE, 10),
    (K.CARE, 10),
    (K.EXPENSE, 10),
    (K.MEETING, 10),
    (K.TASK, 5),
)


def _office_time(moment: datetime, zone: ZoneInfo, rng: random.Random) -> datetime:
    """The same day at a plausible office hour, in the organisation's time zone."""
    local = moment.astimezone(zone)
    return local.replace(
        hour=rng.randint(9, 17),
        minute=rng.choice((0, 10, 15, 20, 30, 40, 45, 50)),
        second=0,
        microsecond=0,
    )


class _Builder:
    def __init__(self, org: Any, zone: ZoneInfo, now: datetime, rng: random.Random) -> None:
        self.org, self.zone, self.now, self.rng = org, zone, now, rng
        self.rows: list[Activity] = []

    def add(
        self,
        party: Party,
        owner: Any,
        contacts: list[Contact],
        kind: str,
        at: datetime,
        **extra: Any,
    ) -> None:
        rng = self.rng
        contact = rng.choice(contacts) if contacts and rng.random() < 0.7 else None
        done = at <= self.now
        fields: dict[str, Any] = {
            "org": self.org,
            "kind": kind,
            "party": party,
            "contact": contact,
            "owner": owner,
            "status": Activity.Status.DONE if done else Activity.Status.PLANNED,
            "completed_at": at if done else None,
            "timeline_at": at,
        }
        if kind == K.CALL:
            subject, outcome = rng.choice(CALLS)
            fields.update(
                subject=subject,
                outcome=outcome,
                start_at=at,
                direction=rng.choice(("in", "out", "out")),
            )
        elif kind == K.CONTACT_RECORD:
            channel, subject, outcome = rng.choice(RECORDS)
            fields.update(
                subject=subject, outcome=outcome, channel=channel, start_at=at, direction="out"
            )
        elif kind == K.MEETING:
            subject, place = rng.choice(MEETINGS)
            fields.update(
                subject=subject,
                location=place,
                start_at=at,
                end_at=at + timedelta(hours=rng.choice((1, 1, 2, 3))),
                priority=rng.choice(("normal", "normal", "high")),
            )
            if not done:
                fields.update(remind_at=at - timedelta(hours=1))
        elif kind == K.NOTE:
            fields.update(subject=rng.choice(NOTES), start_at=at)
        elif kind == K.CARE:
            care_type, subject, outcome = rng.choice(CARE)
            fields.update(subject=subject, care_type=care_type, outcome=outcome, start_at=at)
            fields["channel"] = rng.choice(
                (Activity.Channel.WECHAT, Activity.Channel.PHONE, Activity.Channel.VISIT)
            )
            if rng.random() < 0.3:
                follow_up = at + timedelta(days=rng.randint(7, 30))
                fields["follow_up_on"] = follow_up.astimezone(self.zone).date()
                if follow_up < self.now:
                    # Followed up long ago: only the coming follow-ups still remind.
                    fields["follow_up_reminded_at"] = follow_up
        elif kind == K.EXPENSE:
            category, subject, low, high = rng.choice(EXPENSES)
            amount = Decimal(rng.randint(low * 100, high * 100)) / 100
            fields.update(
                subject=subject,
                expense_category=category,
                amount=amount.quantize(Decimal("0.01")),
                currency=self.org.currency or "CNY",
                start_at=at,
            )
        else:  # task
            fields.update(
                subject=rng.choice(TASKS),
                due_at=at,
                priority=rng.choice(("low", "normal", "normal", "high")),
            )
            if not done:
                fields["remind_at"] = at - timedelta(hours=2)
        fields.update(extra)
        self.rows.append(Activity(**fields))


def seed_activities(ctx: DemoContext) -> None:
    started = time.monotonic()
    org = ctx.org
    if Activity.all_objects.filter(org=org).exists():
        ctx.log("demo activities already there")
        return
    parties = list(Party.objects.filter(is_customer=True).select_related("owner").order_by("id"))
    if not parties:
        ctx.log("no customers yet: no demo activities")
        return
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(party__in=parties).order_by("id"):
        contacts.setdefault(contact.party_id, []).append(contact)
    fallback = ctx.users.get("sales1") or ctx.users.get("admin")
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    zone = ZoneInfo(org.time_zone or "Asia/Shanghai")
    now = timezone.now()
    builder = _Builder(org, zone, now, rng)
    kinds = [kind for kind, _w in PAST_KINDS]
    weights = [w for _k, w in PAST_KINDS]
    for party in parties:
        owner = party.owner or fallback
        if owner is None:
            continue
        people = contacts.get(party.pk, [])
        last_contact = party.last_contact_at
        # The latest contact with the customer, exactly when the customer record says.
        if last_contact is not None:
            builder.add(
                party,
                owner,
                people,
                rng.choice((K.CALL, K.CONTACT_RECORD, K.CONTACT_RECORD)),
                last_contact,
            )
        for _n in range(rng.randint(3, 13)):
            kind = rng.choices(kinds, weights)[0]
            at = _office_time(now - timedelta(days=rng.randint(1, 365)), zone, rng)
            if kind in Activity.CONTACT_KINDS and (last_contact is None or at > last_contact):
                # No contact after the recorded last one (the shared pool counts from it).
                kind = rng.choice((K.NOTE, K.EXPENSE, K.TASK))
            builder.add(party, owner, people, kind, at)
        if party.owner_id is not None:
            if rng.random() < 0.45:
                due = _office_time(now + timedelta(days=rng.randint(-3, 14)), zone, rng)
                builder.add(
                    party,
                    owner,
                    people,
                    K.TASK,
                    due,
                    status=Activity.Status.PLANNED,
                    completed_at=None,
                )
            if rng.random() < 0.2:
                start = _office_time(now + timedelta(days=rng.randint(0, 10)), zone, rng)
                if start > now:
                    builder.add(party, owner, people, K.MEETING, start)
    rows = builder.rows
    for row in rows:
        # Tasks left undone in the past stay open a while: the overdue list has something.
        if (
            row.kind == K.TASK
            and row.status == Activity.Status.DONE
            and row.timeline_at > now - timedelta(days=5)
            and rng.random() < 0.5
        ):
            row.status, row.completed_at = Activity.Status.PLANNED, None
    created = bulk_create_with_history(
        rows, Activity, batch_size=500, default_user=ctx.users.get("admin")
    )
    for row in created:
        row.created_at = row.updated_at = min(row.timeline_at, now)
    Activity.all_objects.bulk_update(created, ["created_at", "updated_at"], batch_size=500)
    ctx.log(
        f"{len(created)} activities on {len(parties)} customers in {time.monotonic() - started:.1f} s"
    )
    _remind_now(org, ctx)


def _remind_now(org: Any, ctx: DemoContext) -> None:
    """Fill the demo's notification bells straight away (the scheduler would, within minutes)."""
    from guanxi.activities.reminders import run_birthday_reminders, run_reminders

    reminders = run_reminders(org_id=org.pk)
    birthdays = run_birthday_reminders(org_id=org.pk)
    ctx.log(f"{reminders.notifications + birthdays.notifications} notifications")


register_demo_seeder("activities.timeline", 40, seed_activities)
