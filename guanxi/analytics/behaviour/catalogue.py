"""The nine behavioural customer types (九大类型客户) of reference document 004, with the
handling playbook of each (H13).

The catalogue is fixed in code: the types are a teaching model, not data an organisation
edits. Every text exists in English (through gettext, so the lead's translation files
carry it) and in the document's own Chinese, which is shown when the interface speaks
Chinese. Where the document recommends something unlawful or dishonest (kickbacks for
the "greedy" type, "hidden tricks" for the owner type, "gouge them once" for the stingy
type) the playbook keeps the document's observation and replaces the advice with a fair
practice; docs/analytics/behaviour-types.md lists these departures.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BehaviourType:
    key: str
    number: int  # the document's order (第一类型 … 第九类型)
    color: str  # Tabler colour of the tag
    name_en: Promise
    name_zh: str
    traits_en: Promise
    traits_zh: str
    approach_en: Promise
    approach_zh: str
    avoid_en: Promise
    avoid_zh: str

    def _pick(self, en: Promise, zh: str) -> str:
        return zh if (get_language() or "").lower().startswith("zh") else str(en)

    @property
    def name(self) -> str:
        return self._pick(self.name_en, self.name_zh)

    @property
    def traits(self) -> str:
        return self._pick(self.traits_en, self.traits_zh)

    @property
    def approach(self) -> str:
        return self._pick(self.approach_en, self.approach_zh)

    @property
    def avoid(self) -> str:
        return self._pick(self.avoid_en, self.avoid_zh)


TYPES: tuple[BehaviourType, ...] = (
    BehaviourType(
        key="rational",
        number=1,
        color="blue",
        name_en=_("Rational"),
        name_zh="理智型",
        traits_en=_(
            "Principled, methodical and careful. They do not pick a supplier for the "
            "relationship or out of personal feeling; they compare suppliers before "
            "deciding and make a reasoned choice."
        ),
        traits_zh=(
            "办事理智,有原则,有规律;不会因为关系好坏或个人感情选择供应商;工作细心、"
            "负责,选择供应商之前会做比较,得出理智的选择。"
        ),
        approach_en=_(
            "Talk openly and directly. Show your abilities and the product's strengths "
            "and weaknesses as they are. Promise only what you can deliver, and deliver "
            "everything you promise."
        ),
        approach_zh=(
            "坦诚、直率地交流,把自己的能力、特长、产品的优势劣势直观地展现给对方;"
            "承诺的一定要做到,能做到的一定要承诺到。"
        ),
        avoid_en=_("Pushy relationship selling, gifts and flattery; exaggerated claims."),
        avoid_zh="不能强行公关、送礼、拍马屁;不能夸大其词。",
    ),
    BehaviourType(
        key="task",
        number=2,
        color="cyan",
        name_en=_("Task-driven"),
        name_zh="任务型",
        traits_en=_(
            "Not an owner of the business: they carry out a task their superior gave "
            "them, often outside their own job, and want it done adequately without "
            "asking for much. Often a one-off customer."
        ),
        traits_zh=(
            "在公司的职务一般不是股东级,只是接受上级交给的任务,而且任务不在自己职责"
            "范围内;对任务只求完成,不会有太多要求和奢望;往往是即时性客户。"
        ),
        approach_en=_(
            "Serve them attentively and analyse the need for them. Give firm, clear "
            "commitments on quality, service and timing so they feel safe. The first "
            "visit matters most: follow up a good first impression at once."
        ),
        approach_zh=(
            "服务要周到,主动为客户分析,承诺要斩钉截铁,给对方吃定心丸;第一印象特别"
            "重要,有了好的第一印象一定要跟进、说服,给出质量、服务、时间上的承诺。"
        ),
        avoid_en=_(
            "Treating them as a key account: do not grant special prices or costly "
            "service, since further business is unlikely."
        ),
        avoid_zh="不是完全的重点公关对象,费用和服务上都不能太优惠。",
    ),
    BehaviourType(
        key="greedy",
        number=3,
        color="orange",
        name_en=_("Greedy"),
        name_zh="贪婪型",
        traits_en=_(
            "Works inside complicated internal relationships with a clear personal "
            "purpose; pushes hard on price and also demands high quality and service, "
            "and may ask for personal benefits. Once the relationship is established "
            "they are stable customers."
        ),
        traits_zh=(
            "在自身公司的关系比较复杂,做事目的性强,压价厉害,对质量和服务要求也高,"
            "有时会主动要求个人好处;但关系发展到一定程度后很容易稳定。"
        ),
        approach_en=_(
            "Keep the contact discreet and personal; give them a sense of security and "
            "confidentiality. Guarantee quality, price and service in writing, and set "
            "clear limits on what you will concede."
        ),
        approach_zh=(
            "关系上保持心灵沟通,要给对方安全感、保密感;在质量、价格、服务上都要有"
            "一定的保障,并明确可让步的界限。"
        ),
        avoid_en=_(
            "Making a show of the relationship; giving in to every demand (their wants "
            "have no end and you lose control of the deal). Never offer kickbacks or "
            "personal benefits: they are unlawful and against company policy."
        ),
        avoid_zh=(
            "不可大造声势;不能一味满足对方,否则操作会很被动,因为对方的贪婪没有止境;"
            "不提供回扣或个人好处(违法且违反公司制度)。"
        ),
    ),
    BehaviourType(
        key="owner",
        number=4,
        color="green",
        name_en=_("Owner-minded"),
        name_zh="主人翁型",
        traits_en=_(
            "Mostly business owners or very conscientious employees. They seek the best "
            "combination of price, quality and service, and care most about price."
        ),
        traits_zh=(
            "大部分是企业老板或非常正直的员工,追求价格、质量、服务的最佳结合,尤其最关注价格。"
        ),
        approach_en=_(
            "Open with price: give a good price impression first, then position quality "
            "to match what they know. After that, call back, talk and keep in touch "
            "often; with a fair price and good contact they stay for the long term."
        ),
        approach_zh=(
            "以价格为突破口,在价格上给客户一个好印象,质量上根据客户的认知度定位;"
            "前期铺好之后经常回访、交流、沟通问候。价格适当满足、关系保持良好沟通,"
            "就能长期服务下去。"
        ),
        avoid_en=_(
            "Neglecting them after the first sale; hidden tricks on price or quality "
            "(the document's suggestion is left out: it costs trust)."
        ),
        avoid_zh="首单之后疏于联系;在价格或质量上做隐蔽的花样(会失去信任)。",
    ),
    BehaviourType(
        key="credit_seeker",
        number=5,
        color="purple",
        name_en=_("Credit-seeking"),
        name_zh="抢功型",
        traits_en=_(
            "Not a senior leader and without much power, but rising and with potential. "
            "Looks mainly at quality; a fair price is enough. Sometimes pays out of "
            "pocket or takes a loss to look good to the company."
        ),
        traits_zh=(
            "一般不是公司大领导,也没有很大权力,但有潜力,地位处于上升趋势;眼光重点"
            "在质量上,价格适当即可;为了表现有时自己掏钱为公司办事、吃哑巴亏。"
        ),
        approach_en=_(
            "See things from their side and get quality exactly right. Help them in "
            "their daily work where you can, and send greetings on holidays: they may "
            "become an important customer later."
        ),
        approach_zh=(
            "站在客户角度着想,质量上一定要把好关;在日常工作中给予力所能及的帮助,"
            "节假日适当问候,保持一般联系,因为这样的客户很可能发展成未来的潜力客户。"
        ),
        avoid_en=_("Hurting their self-esteem; keeping too tight a contact."),
        avoid_zh="千万不能伤害其自尊心;不需要保持太紧的联系。",
    ),
    BehaviourType(
        key="stingy",
        number=6,
        color="yellow",
        name_en=_("Stingy"),
        name_zh="吝啬型",
        traits_en=_(
            "Tight-fisted: compares prices until no margin is left, then demands "
            "quality. Not loyal to any supplier, may hide facts or exaggerate, and runs "
            "needless tenders to push prices down."
        ),
        traits_zh=(
            "比较小气,不会因为稳定、信任、关系而选择固定供应商;先比价格,比到你没有"
            "利润,再要求质量;经常隐瞒事实、夸大自己,搞不必要的招投标来压价。"
        ),
        approach_en=_(
            "Do not invest much time. Quote a price that keeps your margin from the "
            "start, compete only where your products are strong, and keep every deal "
            "exact: they forgive no mistake. Not a customer to build the business on."
        ),
        approach_zh=(
            "不要在其身上花费太多时间;一开始就报有合理利润的价格,只在自己的强项和"
            "优势业务上竞争,操作上要严谨,因为这样的客户不会容忍小错误;不是企业发展"
            "的重点客户。"
        ),
        avoid_en=_(
            "Meeting every demand from the start; competing for business outside your "
            "strengths (the effort is not repaid); overcharging them once because they "
            "will not return (the document's advice is left out)."
        ),
        avoid_zh=(
            "一开始就一味满足其需求;参与非自身强项的竞争,得不偿失;"
            "不采用原文“能宰一次就宰一次”的做法。"
        ),
    ),
    BehaviourType(
        key="tricky",
        number=7,
        color="red",
        name_en=_("Tricky"),
        name_zh="刁蛮型",
        traits_en=_(
            "Makes a very good first impression and does not haggle, but prepares no "
            "documents, claims false urgency and sets traps so that mistakes happen "
            "that they can use against you later."
        ),
        traits_zh=(
            "第一次交往表现很好,显示自己有信誉有实力,不斤斤计较,但不准备资料,找借口"
            "说时间很急,想方设法设置陷阱,让我们操作出问题,好抓把柄找麻烦。"
        ),
        approach_en=_(
            "Stay careful and objective. Price and quality are what they are; get a "
            "signed confirmation before any work, a contract and an advance payment. "
            "Never do the work before the price is agreed."
        ),
        approach_zh=(
            "千万不能马虎,操作上积极客观,价格、质量是怎样就怎样;制作之前一定要客户"
            "亲自确认签字;预付款一定要收,合同一定要签,绝不能先做事再谈价格。"
            "先小人后君子。"
        ),
        avoid_en=_(
            "Being won over by their first show; promising deadlines under their "
            "pressure; starting without a signed order."
        ),
        avoid_zh="不能为客户的表现所动心;不随便承诺时间;没有签字确认不能操作。",
    ),
    BehaviourType(
        key="relationship",
        number=8,
        color="pink",
        name_en=_("Relationship"),
        name_zh="关系型",
        traits_en=_(
            "A friend first and a customer second, often through friends' referrals. "
            "Handled badly, both the business and the friendship suffer."
        ),
        traits_zh=(
            "先有朋友关系后有业务交往,常见朋友介绍朋友;把握不好朋友和客户之间的度,"
            "就容易业务没做好,朋友关系也搞砸。"
        ),
        approach_en=_(
            "Keep favours and business apart. Small jobs can be done as a favour; for "
            "larger jobs with real costs agree everything up front and work formally, "
            "or decline politely. Agree the money clearly where money is due."
        ),
        approach_zh=(
            "帮忙和赚钱生意一定要分开;小单子可以帮忙做,需要花费一定成本的大单子要么"
            "一切谈好后按正规方式操作,要么委婉推掉;该收钱的一定要把钱谈好。"
        ),
        avoid_en=_(
            "Charging where you should not; leaving money vague; trying to gain small "
            "advantages from a friend."
        ),
        avoid_zh="不该收钱的千万不能收钱;千万不能想着占小便宜。",
    ),
    BehaviourType(
        key="composite",
        number=9,
        color="secondary",
        name_en=_("Composite"),
        name_zh="综合型",
        traits_en=_(
            "No fixed pattern: becomes a different type as circumstances change. "
            "Experienced, with a complex network; hard to read."
        ),
        traits_zh=(
            "交往中没有一定的性格模式,特定环境下会演变成特定类型;一般非常老道,社会"
            "经验丰富,关系网复杂,思想活动很难看清。"
        ),
        approach_en=_(
            "Handle every matter carefully. Wait and observe: understand their mood of "
            "the moment first, then respond to it (stay calm and let them move first)."
        ),
        approach_zh=(
            "处理问题一定要小心,以静制动,保持认真、虔诚的心态,静观其变,把握客户的"
            "即时心态之后再对症下药。"
        ),
        avoid_en=_("Treating them as any one fixed type."),
        avoid_zh="不能定义为任何一种专业类型的客户来对待。",
    ),
)

BY_KEY: dict[str, BehaviourType] = {t.key: t for t in TYPES}
KEYS: tuple[str, ...] = tuple(BY_KEY)
CHOICES: list[tuple[str, Promise]] = [(t.key, t.name_en) for t in TYPES]


def get_type(key: str) -> BehaviourType | None:
    return BY_KEY.get(key)
