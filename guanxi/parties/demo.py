"""Demo customers, suppliers, competitors and channels of the demo organisation.

About 300 customers (mostly companies in eleven cities, a fifth individuals) with about
600 contacts, the four category trees, tags and static groups; ~20 suppliers (one
company is customer and supplier at once), ~8 competitors and ~10 channels.

Deterministic: every value comes from `random.Random(SEED)`, so screenshots and tests
see the same names, numbers and dates (dates are offsets from the day of seeding).
Idempotent: records are keyed by their code (C0001 …, S0001 …, J0001 …, Q0001 …); a
second run creates only what is missing (nothing, normally). Every record goes through
the services (create_party / create_contact / add_category), so validation, search
text and history are the same as for records typed in by a user.
"""

from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from django.utils import timezone
from django_scopes import scopes_disabled
from lunar_python import LunarMonth, LunarYear

from guanxi.core.categories import add_category
from guanxi.core.demo import DemoContext, register_demo_seeder
from guanxi.core.models import Tag
from guanxi.core.pinyin import full_pinyin
from guanxi.parties.models import (
    CATEGORY_FIELD_BY_ROLE,
    Contact,
    Party,
    PartyCategory,
    PartyGroup,
    PartyGroupMember,
    PartyRole,
)
from guanxi.parties.services import create_contact, create_party, set_party_lock

SEED = 20260101
CUSTOMER_COUNT = 300
PERSON_SHARE = 0.2

# --- word lists -------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class City:
    region: str  # top category
    name: str  # category name, e.g. 上海
    province: str
    city: str
    area_code: str
    landline_digits: int
    postcode: str  # first three digits
    districts: tuple[str, ...]
    roads: tuple[str, ...]
    weight: int  # share of the customers


CITIES: tuple[City, ...] = (
    City("华东区", "上海", "上海市", "上海市", "021", 8, "200",
         ("浦东新区", "闵行区", "徐汇区", "静安区", "长宁区", "嘉定区", "松江区", "宝山区", "普陀区", "杨浦区"),
         ("张江路", "世纪大道", "漕宝路", "虹桥路", "江场西路", "曹安公路", "沪松公路", "莘庄工业区春东路", "金科路", "淞沪路"),
         22),
    City("华东区", "杭州", "浙江省", "杭州市", "0571", 8, "310",
         ("西湖区", "滨江区", "余杭区", "萧山区", "拱墅区", "上城区", "钱塘区"),
         ("文三路", "江南大道", "文一西路", "金城路", "莫干山路", "解放东路", "六号大街"),
         12),
    City("华东区", "南京", "江苏省", "南京市", "025", 8, "210",
         ("玄武区", "秦淮区", "建邺区", "鼓楼区", "江宁区", "栖霞区", "雨花台区"),
         ("中山路", "江东中路", "汉中路", "将军大道", "软件大道", "仙林大道"),
         9),
    City("华东区", "苏州", "江苏省", "苏州市", "0512", 8, "215",
         ("工业园区", "虎丘区", "吴中区", "相城区", "姑苏区", "吴江区"),
         ("星湖街", "金鸡湖大道", "狮山路", "东环路", "人民路", "长江路"),
         10),
    City("华南区", "广州", "广东省", "广州市", "020", 8, "510",
         ("天河区", "越秀区", "海珠区", "白云区", "番禺区", "黄埔区"),
         ("天河路", "体育西路", "中山大道", "科学大道", "环市东路", "新港东路"),
         10),
    City("华南区", "深圳", "广东省", "深圳市", "0755", 8, "518",
         ("南山区", "福田区", "宝安区", "龙岗区", "龙华区", "罗湖区"),
         ("科技园南路", "深南大道", "福华路", "宝安大道", "布吉路", "民治大道"),
         10),
    City("华南区", "厦门", "福建省", "厦门市", "0592", 7, "361",
         ("思明区", "湖里区", "集美区", "海沧区", "同安区", "翔安区"),
         ("嘉禾路", "湖滨南路", "枋湖北二路", "观日路", "仙岳路"),
         5),
    City("华北区", "北京", "北京市", "北京市", "010", 8, "100",
         ("海淀区", "朝阳区", "东城区", "西城区", "丰台区", "大兴区", "昌平区"),
         ("中关村大街", "建国路", "学院路", "望京街", "西直门外大街", "科创十三街"),
         9),
    City("华北区", "天津", "天津市", "天津市", "022", 8, "300",
         ("和平区", "河西区", "南开区", "滨海新区", "西青区", "东丽区"),
         ("南京路", "友谊路", "卫津路", "第三大街", "黄海路"),
         4),
    City("西南区", "成都", "四川省", "成都市", "028", 8, "610",
         ("武侯区", "锦江区", "高新区", "青羊区", "成华区", "双流区"),
         ("天府大道", "人民南路", "科华北路", "蜀都大道", "府城大道"),
         6),
    City("西南区", "重庆", "重庆市", "重庆市", "023", 8, "400",
         ("渝中区", "江北区", "渝北区", "南岸区", "九龙坡区", "沙坪坝区"),
         ("民族路", "建新北路", "金开大道", "南坪正街", "科园一路"),
         3),
)  # fmt: skip
REGIONS: tuple[str, ...] = ("华东区", "华南区", "华北区", "西南区")

# Cities suppliers sit in, besides the customers' cities.
SUPPLIER_CITIES: tuple[City, ...] = (
    City("", "宁波", "浙江省", "宁波市", "0574", 8, "315", ("北仑区", "鄞州区", "镇海区"),
         ("明州路", "中山东路", "沿海中线"), 1),
    City("", "无锡", "江苏省", "无锡市", "0510", 8, "214", ("新吴区", "惠山区", "锡山区"),
         ("长江路", "锡兴路", "震泽路"), 1),
    City("", "东莞", "广东省", "东莞市", "0769", 8, "523", ("长安镇", "松山湖", "虎门镇"),
         ("振安路", "工业东路", "太沙路"), 1),
    City("", "佛山", "广东省", "佛山市", "0757", 8, "528", ("顺德区", "南海区", "禅城区"),
         ("季华路", "桂澜路", "容桂大道"), 1),
    City("", "温州", "浙江省", "温州市", "0577", 8, "325", ("瓯海区", "乐清市", "龙湾区"),
         ("温州大道", "车站大道", "柳川路"), 1),
)  # fmt: skip

# Trade names (字号): invented, two characters each.
TRADE_NAMES: tuple[str, ...] = _words(
    "恒通 华信 博远 鼎盛 宏达 金桥 瑞丰 永信 联创 天成 新锐 东升 远航 盛世 佳禾 安达 德隆 "
    "凯瑞 九州 星海 海川 万邦 信达 锦程 润泽 嘉和 同创 精诚 卓越 鸿运 明辉 合力 长青 百川 "
    "汇智 睿达 启明 茂源 益民 泰和 正元 华美 昊天 丰源 科顺 通力 乐达 宝信 伟业 恒信 广源 "
    "三友 金鼎 圣邦 弘毅 华拓 致远 天瑞 永盛 汇通 兆丰 泓远 创新 欣荣 鑫源 聚力 华晟 中和 "
    "众诚 荣昌 协力 新元 洪福 鼎泰 诚信 锐捷 祥云 瀚海 凯达 普华 龙腾 亿达 优派"
)

# industry, name ending, short-name ending, domain abbreviation, weight
INDUSTRIES: tuple[tuple[str, str, str, str, int], ...] = (
    ("机电设备", "机电设备有限公司", "机电", "jd", 12),
    ("电子科技", "电子科技有限公司", "电子", "dz", 10),
    ("自动化设备", "自动化设备有限公司", "自动化", "auto", 8),
    ("精密机械", "精密机械制造有限公司", "机械", "jx", 8),
    ("五金制品", "五金制品有限公司", "五金", "wj", 5),
    ("包装材料", "包装材料有限公司", "包装", "pack", 5),
    ("化工", "化工有限公司", "化工", "chem", 4),
    ("建材", "建材有限公司", "建材", "jc", 4),
    ("医疗器械", "医疗器械有限公司", "医疗", "med", 5),
    ("食品", "食品有限公司", "食品", "food", 4),
    ("纺织服装", "纺织品有限公司", "纺织", "tex", 3),
    ("物流", "物流有限公司", "物流", "logistics", 4),
    ("信息技术", "信息技术有限公司", "信息", "it", 6),
    ("软件", "软件有限公司", "软件", "soft", 4),
    ("环保科技", "环保科技有限公司", "环保", "eco", 4),
    ("新能源", "新能源科技有限公司", "新能源", "energy", 4),
    ("汽车零部件", "汽车零部件有限公司", "汽配", "parts", 5),
    ("家具", "家具有限公司", "家具", "home", 2),
    ("印刷", "印务有限公司", "印务", "print", 2),
    ("餐饮管理", "餐饮管理有限公司", "餐饮", "food-service", 2),
    ("酒店管理", "酒店管理有限公司", "酒店", "hotel", 2),
    ("建设工程", "建设工程有限公司", "建设", "build", 3),
    ("教育科技", "教育科技有限公司", "教育", "edu", 2),
    ("实业", "实业股份有限公司", "实业", "group", 2),
)
DEALER_INDUSTRY = ("商贸", "商贸有限公司", "商贸", "trading", 0)

INSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("{district}人民医院", "医疗卫生"),
    ("{district}疾病预防控制中心", "医疗卫生"),
    ("{trade}职业技术学院", "教育"),
    ("{district}第一中学", "教育"),
    ("{district}城市管理局", "政府机关"),
    ("{district}图书馆", "文化"),
)

SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (s, w)
    for ws, w in (
        ("王 李 张 刘 陈", 30),
        ("杨 黄 赵 吴 周 徐 孙", 14),
        ("马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖", 6),
        ("田 董 袁 潘 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 "
         "廖 贾 夏 韦 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 "
         "邵 万 钱 严 覃 戴 莫 孔 汤", 3),
        # surnames read differently from the ordinary word, and compound surnames
        ("单 解 区 查 仇 朴 欧阳 司马 上官 诸葛", 1),
    )
    for s in ws.split()
)  # fmt: skip
MALE_GIVEN: tuple[str, ...] = _words(
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 旭 宁 龙 林 "
    "建国 志强 建华 国庆 文博 子轩 浩然 宇航 俊杰 永刚 海涛 晓东 振华 德明 立新 家豪 "
    "志明 明杰 建军 卫东 春生 天佑 一鸣 博文 思远 嘉懿 子豪 国栋 成龙 宏伟"
)
FEMALE_GIVEN: tuple[str, ...] = _words(
    "芳 娜 敏 静 丽 艳 娟 霞 婷 雪 琳 颖 倩 洁 慧 晶 燕 红 梅 莉 佳 欣 怡 萍 "
    "秀英 桂英 玉兰 晓燕 丽娟 雅琴 静怡 梦瑶 欣怡 诗涵 思琪 婉婷 春梅 海燕 玉梅 "
    "晓红 美玲 佳琪 雨桐 若曦 淑华 秀兰 丹丹 文静 慧敏"
)
# Names of the demo users: kept off the customers' contacts to avoid confusion.
RESERVED_NAMES = frozenset({"李娜", "张伟", "刘洋", "陈静", "赵敏"})

# role, department, weight as a first (primary) contact, weight otherwise
CONTACT_ROLES: tuple[tuple[str, str, int, int], ...] = (
    ("总经理", "总经办", 6, 2),
    ("副总经理", "总经办", 3, 2),
    ("董事长", "董事会", 1, 1),
    ("采购经理", "采购部", 10, 3),
    ("采购专员", "采购部", 3, 6),
    ("财务经理", "财务部", 1, 4),
    ("财务", "财务部", 0, 5),
    ("技术负责人", "技术部", 3, 5),
    ("研发工程师", "研发中心", 0, 4),
    ("项目经理", "项目部", 2, 4),
    ("生产经理", "生产部", 1, 3),
    ("仓储主管", "物流部", 0, 3),
    ("行政主管", "行政部", 1, 3),
    ("IT 主管", "信息部", 1, 2),
)
CONTACT_NOTES: tuple[str, ...] = (
    "周二、周四下午方便拜访，来访前需提前一天预约。",
    "喜欢喝茶，对普洱有研究。",
    "说话直接，关注交期和售后响应速度。",
    "负责比价，报价请同时抄送其主管。",
    "微信沟通更及时，电话常在车间接不到。",
    "老家在湖南，春节前后一般休假两周。",
    "对新技术感兴趣，可邀请参加产品发布会。",
    "去年由竞争对手处转来，对服务期望较高。",
)

MOBILE_PREFIXES: tuple[str, ...] = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
)
PERSONAL_MAIL_DOMAINS: tuple[str, ...] = (
    "163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "139.com", "outlook.com",
)  # fmt: skip
ESTATES: tuple[str, ...] = (
    "阳光花园", "锦绣江南", "翠苑", "金色家园", "世纪花园", "滨江花园", "紫荆苑", "幸福里",
    "御景湾", "香樟园", "春江花月", "绿城桂花园", "东方明珠苑", "龙湖时代天街",
)  # fmt: skip
COMPANY_SIZES: tuple[tuple[str, int], ...] = (
    ("1-19人", 3), ("20-99人", 6), ("100-499人", 5), ("500-999人", 2), ("1000人以上", 1),
)  # fmt: skip
BACKGROUND_EXTRAS: tuple[str, ...] = (
    "目前主要供应商为外资品牌，正在评估国产替代方案。",
    "去年新建二期厂房，设备和耗材采购需求明显增加。",
    "与我司合作多年，回款及时，信用良好。",
    "对价格较敏感，每次采购都会比较三家以上报价。",
    "集团统一采购，分公司有一定自主采购额度。",
    "今年更换了采购负责人，需要重新建立关系。",
    "有出口业务，对产品认证（CE、UL）有要求。",
    "计划明年上市，内控流程趋严，合同审批周期较长。",
)
BUDGETS: tuple[str, ...] = (
    "年度采购预算约 50 万元", "年度采购预算约 80 万元", "年度采购预算约 120 万元",
    "单次采购 5–10 万元", "项目预算 200 万元，分两期付款", "年度框架协议 300 万元",
    "预算待定，需先出方案", "每月补货约 3 万元",
)  # fmt: skip
TIMELINES: tuple[str, ...] = (
    "2027 年第一季度招标", "今年 12 月前完成选型", "每季度集中采购一次", "按月补货",
    "明年 3 月新厂投产前", "2027 年上半年预算批复后", "年底前确认供应商名录", "随项目进度分批采购",
)  # fmt: skip
INTERESTS: tuple[str, ...] = (
    "喜欢钓鱼、品茶", "马拉松爱好者", "周末常去打羽毛球", "喜欢摄影和自驾游", "关注财经新闻",
    "爱好书法", "喜欢红酒", "足球迷，支持本地球队",
)  # fmt: skip

TAGS: tuple[tuple[str, str], ...] = (
    ("重点跟进", "red"),
    ("老客户", "green"),
    ("价格敏感", "orange"),
    ("展会获客", "purple"),
    ("新客户", "azure"),
    ("需回访", "yellow"),
)
GROUP_EXPO = "2026 展会客户"
GROUP_VIP = "年度 VIP"
GROUP_DEALERS = "经销商伙伴"
GROUPS: tuple[tuple[str, str], ...] = (
    (GROUP_EXPO, "2026 年各地展会上留下名片、后续有跟进的客户"),
    (GROUP_VIP, "年度采购额最高的客户，享受优先发货和专属客服"),
    (GROUP_DEALERS, "经销和代理我司产品的商贸公司"),
)

# role tree -> [(top, [children])]
SUPPLIER_TREE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("原材料", ("钢材", "塑料粒子", "电子元器件")),
    ("设备配件", ("轴承", "电机")),
    ("包装材料", ()),
    ("物流服务", ()),
)
COMPETITOR_TREE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("国内品牌", ("华东", "华南")),
    ("外资品牌", ()),
)
CHANNEL_TREE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("区域代理", ("华东", "华南", "华北", "西南")),
    ("行业分销商", ()),
    ("电商服务商", ()),
)

# name, category path, city name, trade word for the domain, industry
SUPPLIERS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("宁波永兴塑胶原料有限公司", ("原材料", "塑料粒子"), "宁波", "塑胶原料"),
    ("宁波甬华轴承有限公司", ("设备配件", "轴承"), "宁波", "轴承"),
    ("无锡锡钢金属材料有限公司", ("原材料", "钢材"), "无锡", "金属材料"),
    ("无锡华晨电机有限公司", ("设备配件", "电机"), "无锡", "电机"),
    ("东莞长安精达电子有限公司", ("原材料", "电子元器件"), "东莞", "电子元器件"),
    ("东莞松湖包装制品有限公司", ("包装材料",), "东莞", "包装制品"),
    ("佛山顺德美达电机有限公司", ("设备配件", "电机"), "佛山", "电机"),
    ("佛山南海宏基钢材贸易有限公司", ("原材料", "钢材"), "佛山", "钢材贸易"),
    ("温州瓯江电气元件有限公司", ("原材料", "电子元器件"), "温州", "电气元件"),
    ("温州龙湾阀门配件有限公司", ("设备配件",), "温州", "阀门配件"),
    ("上海申通达物流有限公司", ("物流服务",), "上海", "物流"),
    ("上海沪南特种钢材有限公司", ("原材料", "钢材"), "上海", "钢材"),
    ("苏州吴越塑业有限公司", ("原材料", "塑料粒子"), "苏州", "塑料"),
    ("苏州园区精密轴承有限公司", ("设备配件", "轴承"), "苏州", "轴承"),
    ("杭州钱塘纸品包装有限公司", ("包装材料",), "杭州", "纸品包装"),
    ("深圳华南芯电子元件有限公司", ("原材料", "电子元器件"), "深圳", "电子元件"),
    ("广州穗安货运代理有限公司", ("物流服务",), "广州", "货运代理"),
    ("南京金陵减速机有限公司", ("设备配件", "电机"), "南京", "减速机"),
    ("天津滨海工业气体有限公司", ("原材料",), "天津", "工业气体"),
)
# name, short name, category path, city name, strengths/weaknesses
COMPETITORS: tuple[tuple[str, str, tuple[str, ...], str, str], ...] = (
    ("上海科迈自动化设备有限公司", "科迈自动化", ("国内品牌", "华东"), "上海",
     "优势：价格比我们低 10%–15%，交期短；劣势：售后网点少，只覆盖华东。"),
    ("苏州精工机电设备有限公司", "精工机电", ("国内品牌", "华东"), "苏州",
     "优势：与本地工厂关系深；劣势：产品线窄，缺少高端型号。"),
    ("杭州云启信息技术有限公司", "云启信息", ("国内品牌", "华东"), "杭州",
     "优势：软件集成能力强；劣势：硬件依赖外采，毛利低，报价波动大。"),
    ("深圳捷力达电子科技有限公司", "捷力达", ("国内品牌", "华南"), "深圳",
     "优势：电子类产品齐全，电商渠道强；劣势：大客户服务经验不足。"),
    ("广州粤海工业设备有限公司", "粤海工业", ("国内品牌", "华南"), "广州",
     "优势：华南渠道多；劣势：账期要求严格，资金压力大。"),
    ("德创工业（中国）有限公司", "德创工业", ("外资品牌",), "上海",
     "优势：品牌认可度高，质量稳定；劣势：价格高 30% 以上，定制响应慢。"),
    ("伊藤精机（上海）有限公司", "伊藤精机", ("外资品牌",), "上海",
     "优势：精度和寿命领先；劣势：备件周期 6–8 周，本地技术支持少。"),
    ("北方华联科技股份有限公司", "华联科技", ("国内品牌",), "北京",
     "优势：政府和国企项目资源多；劣势：民营客户覆盖弱。"),
)  # fmt: skip
# name, short name, category path, city name, credit limit
CHANNELS: tuple[tuple[str, str, tuple[str, ...], str, int], ...] = (
    ("杭州联创贸易有限公司", "联创贸易（华东代理）", ("区域代理", "华东"), "杭州", 500000),
    ("南京金陵汇通商贸有限公司", "金陵汇通", ("区域代理", "华东"), "南京", 300000),
    ("广州粤通达贸易有限公司", "粤通达（华南代理）", ("区域代理", "华南"), "广州", 500000),
    ("厦门鹭岛科技贸易有限公司", "鹭岛科贸", ("区域代理", "华南"), "厦门", 200000),
    ("北京京诚伟业科技有限公司", "京诚伟业（华北代理）", ("区域代理", "华北"), "北京", 400000),
    ("天津津港工业品有限公司", "津港工业品", ("区域代理", "华北"), "天津", 150000),
    ("成都蜀信达商贸有限公司", "蜀信达（西南代理）", ("区域代理", "西南"), "成都", 300000),
    ("上海工品汇供应链管理有限公司", "工品汇", ("行业分销商",), "上海", 800000),
    ("深圳优采网络科技有限公司", "优采网络", ("电商服务商",), "深圳", 200000),
    ("苏州速达电商服务有限公司", "速达电商", ("电商服务商",), "苏州", 100000),
)  # fmt: skip


# --- generation (pure: no database) ---------------------------------------------------------


@dataclass
class PartySpec:
    code: str
    data: dict[str, Any]
    category: tuple[str, tuple[str, ...]]  # (tree, path of names)
    owner: str | None  # demo username; None = in the shared pool
    contacts: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    created_days_ago: float = 0.0
    last_contact_days_ago: float | None = None
    pool_days_ago: float | None = None
    locked: bool = False
    # A second role: (tree, path) of the other role's category, e.g. a customer who supplies.
    second_role: tuple[str, tuple[str, ...]] | None = None


@functools.cache
def _leap_month(year: int) -> int:
    return int(LunarYear.fromYear(year).getLeapMonth())


@functools.cache
def _lunar_month_days(year: int, month: int) -> int:
    """Days (29 or 30) of a lunar month; a negative month is the leap month."""
    return int(LunarMonth.fromYm(year, month).getDayCount())


def _valid(number: str) -> bool:
    """Whether phonenumbers (what the validators use) accepts the number in China."""
    return phonenumbers.is_valid_number(phonenumbers.parse(number, "CN"))


class _Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not security)
        self.used_mobiles: set[str] = set()
        self.used_landlines: set[str] = set()
        self.used_names: set[str] = set()
        self.used_wechat: set[str] = set()
        self.used_emails: set[str] = set()

    # -- small pieces
    def weighted(self, items: Any, weights: Any) -> Any:
        return self.rng.choices(items, weights=weights, k=1)[0]

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles and _valid(number):
                self.used_mobiles.add(number)
                return number

    def landline(self, city: City) -> str:
        while True:
            first = self.rng.choice("2345678")
            rest = "".join(self.rng.choice("0123456789") for _ in range(city.landline_digits - 1))
            number = f"{city.area_code}-{first}{rest}"
            if number not in self.used_landlines and _valid(number):
                self.used_landlines.add(number)
                return number

    def person_name(self, gender: str) -> str:
        while True:
            surname = self.weighted([s for s, _w in SURNAMES], [w for _s, w in SURNAMES])
            given = self.rng.choice(MALE_GIVEN if gender == "male" else FEMALE_GIVEN)
            if len(surname) == 2 and len(given) == 2:
                given = given[0]
            name = surname + given
            if name not in RESERVED_NAMES:
                return name

    def unique_email(self, local: str, domain: str) -> str:
        candidate = f"{local}@{domain}"
        n = 2
        while candidate in self.used_emails:
            candidate = f"{local}{n}@{domain}"
            n += 1
        self.used_emails.add(candidate)
        return candidate

    def wechat(self, name_pinyin: str, mobile: str) -> str:
        style = self.rng.random()
        if style < 0.2:
            candidate = mobile
        elif style < 0.5:
            candidate = f"wxid_{''.join(self.rng.choice('abcdefghjkmnpqrstuvwxyz23456789') for _ in range(10))}"
        elif style < 0.8:
            candidate = f"{name_pinyin[:14]}{self.rng.randint(60, 99)}"
        else:
            candidate = f"{name_pinyin[:12]}_{self.rng.randint(100, 999)}"
        if candidate in self.used_wechat or len(candidate) < 6:
            candidate = f"{name_pinyin[:10]}{self.rng.randint(1000, 9999)}"
        self.used_wechat.add(candidate)
        return candidate

    def company_address(self, city: City) -> tuple[str, str, str]:
        district = self.rng.choice(city.districts)
        road = self.rng.choice(city.roads)
        number = self.rng.randint(1, 1999)
        suffix = self.rng.choice(
            [
                "",
                f"{self.rng.randint(1, 12)}幢",
                f"{self.rng.choice('ABC')}座{self.rng.randint(3, 28)}{self.rng.randint(1, 20):02d}室",
                f"{self.rng.randint(2, 6)}号厂房",
            ]
        )
        postcode = f"{city.postcode}{self.rng.randint(0, 2)}{self.rng.randint(0, 9)}0"
        return district, f"{road}{number}号{suffix}", postcode

    def home_address(self, city: City) -> tuple[str, str]:
        district = self.rng.choice(city.districts)
        estate = self.rng.choice(ESTATES)
        return (
            district,
            f"{estate}{self.rng.randint(1, 30)}栋{self.rng.randint(1, 4)}单元"
            f"{self.rng.randint(2, 32)}{self.rng.randint(1, 4):02d}室",
        )

    def birthday_fields(self) -> dict[str, Any]:
        """A solar birthday, or (about a third) a lunar one; a few in a leap month."""
        rng = self.rng
        if rng.random() < 0.33:
            year = rng.randint(1960, 1998)
            month, leap = rng.randint(1, 12), False
            if rng.random() < 0.015:
                # a leap month (闰月) of a year that has one
                year = rng.choice([1979, 1984, 1987, 1990, 1993, 1995, 1998])
                month, leap = _leap_month(year), True
            days = _lunar_month_days(year, -month if leap else month)
            day = rng.randint(1, days)
            if days == 30 and rng.random() < 0.15:
                day = 30  # the 30th: missing in some years' months
            return {
                "birthday_calendar": Contact.BirthdayCalendar.LUNAR,
                "lunar_birth_year": year if leap or rng.random() < 0.8 else None,
                "lunar_birth_month": month,
                "lunar_birth_day": day,
                "lunar_birth_leap": leap,
            }
        born = date(1962, 1, 1) + timedelta(days=rng.randint(0, 365 * 38))
        if rng.random() < 0.02:
            born = date(rng.choice([1972, 1976, 1980, 1984, 1988]), 2, 29)
        return {"birthday_calendar": Contact.BirthdayCalendar.SOLAR, "birthday": born}

    def contact(
        self, *, role: tuple[str, str, int, int], domain: str, city: City, company_phone: str
    ) -> dict[str, Any]:
        rng = self.rng
        gender = "male" if rng.random() < 0.6 else "female"
        name = self.person_name(gender)
        mobile = self.mobile()
        pinyin = full_pinyin(name, surname=True)
        data: dict[str, Any] = {
            "name": name,
            "gender": gender,
            "role": role[0],
            "department": role[1],
            "mobile": mobile,
        }
        if rng.random() < 0.5:
            data["phone"] = (
                f"{company_phone}转{rng.randint(801, 899)}"
                if rng.random() < 0.5
                else self.landline(city)
            )
        if domain and rng.random() < 0.85:
            data["email"] = self.unique_email(pinyin, domain)
        elif rng.random() < 0.5:
            data["email"] = self.unique_email(
                f"{pinyin}{rng.randint(70, 99)}", rng.choice(PERSONAL_MAIL_DOMAINS)
            )
        if rng.random() < 0.45:
            data["wechat"] = self.wechat(pinyin, mobile)
        if rng.random() < 0.12:
            data["notes"] = rng.choice(CONTACT_NOTES)
        if rng.random() < 0.5:
            data.update(self.birthday_fields())
            if rng.random() < 0.45:
                data["birthday_reminder"] = True
                data["reminder_days_before"] = rng.choice([1, 3, 3, 7])
        return data

    def special_surnames(self, companies: list[PartySpec]) -> None:
        """Make sure a few contacts carry surnames read differently from the word (单 shan,
        解 xie, 区 ou, 查 zha, 仇 qiu, 曾 zeng …), so the demo shows pinyin search on them."""
        names = (
            ("单晓东", "male"), ("解文博", "male"), ("区淑华", "female"), ("查思琪", "female"),
            ("仇建国", "male"), ("曾国栋", "male"), ("单丹丹", "female"), ("区家豪", "male"),
        )  # fmt: skip
        for spec, (name, gender) in zip(companies[10::29], names, strict=False):
            contact = spec.contacts[-1]
            old = contact["name"]
            contact.update(name=name, gender=gender)
            if old in spec.data.get("decision_makers", ""):
                spec.data["decision_makers"] = spec.data["decision_makers"].replace(old, name)
            if "@" in contact.get("email", ""):
                domain = contact["email"].split("@", 1)[1]
                contact["email"] = self.unique_email(full_pinyin(name, surname=True), domain)

    # -- parties
    def customers(self) -> list[PartySpec]:
        rng = self.rng
        cities = list(CITIES)
        city_weights = [c.weight for c in cities]
        industries = list(INDUSTRIES)
        industry_weights = [i[4] for i in industries]
        used_short: set[str] = set()
        specs: list[PartySpec] = []
        # Creation times: oldest first, so C0001 is the longest-standing customer.
        ages = sorted((rng.uniform(1, 730) for _ in range(CUSTOMER_COUNT)), reverse=True)
        persons = set(rng.sample(range(CUSTOMER_COUNT), round(CUSTOMER_COUNT * PERSON_SHARE)))
        pool = set(rng.sample([i for i in range(CUSTOMER_COUNT) if ages[i] > 90], 12))
        for i in range(CUSTOMER_COUNT):
            code = f"C{i + 1:04d}"
            city = self.weighted(cities, city_weights)
            region_owners = {
                "华东区": (["sales1", "sales2", "manager"], [45, 40, 15]),
                "华南区": (["sales3", "manager"], [85, 15]),
            }.get(city.region, (["sales1", "sales2", "sales3", "manager"], [30, 25, 25, 20]))
            owner = None if i in pool else self.weighted(*region_owners)
            if i in persons:
                spec = self.person_customer(code, city, owner)
            else:
                spec = self.company_customer(
                    code, city, owner, industries, industry_weights, used_short
                )
            spec.created_days_ago = ages[i]
            self.follow_up(spec, pooled=i in pool)
            specs.append(spec)
        self.tag_and_group(specs)
        # One company that is customer and supplier at once (it sells us packaging).
        dual = next(
            s for s in specs if s.data.get("industry") == "包装材料" and s.owner is not None
        )
        dual.data["is_supplier"] = True
        dual.second_role = (PartyRole.SUPPLIER, ("包装材料",))
        return specs

    def follow_up(self, spec: PartySpec, *, pooled: bool) -> None:
        rng = self.rng
        age = spec.created_days_ago
        if pooled:
            # No follow-up for over 30 days: returned to the shared pool.
            last = rng.uniform(45, min(age, 200)) if rng.random() < 0.7 else None
            spec.last_contact_days_ago = last
            spec.pool_days_ago = (last if last is not None else age) - 30
            spec.pool_days_ago = max(spec.pool_days_ago, 0.5)
            return
        if rng.random() < 0.9:
            spec.last_contact_days_ago = min(
                age, rng.choice([rng.uniform(0, 25), rng.uniform(0, 60)])
            )

    def company_customer(
        self,
        code: str,
        city: City,
        owner: str | None,
        industries: list[tuple[str, str, str, str, int]],
        industry_weights: list[int],
        used_short: set[str],
    ) -> PartySpec:
        rng = self.rng
        kind_roll = rng.random()
        district, address, postcode = self.company_address(city)
        if kind_roll < 0.04:
            pattern, industry_name = rng.choice(INSTITUTIONS)
            trade = rng.choice(TRADE_NAMES)
            name = f"{city.city}{pattern.format(district=district, trade=trade)}"
            short = name.removeprefix(city.city)
            if short in used_short or name in self.used_names:
                return self.company_customer(
                    code, city, owner, industries, industry_weights, used_short
                )
            customer_type = Party.CustomerType.GOVERNMENT
            industry = (industry_name, "", "", "gov", 0)
            domain_base = full_pinyin(short[:4]) + ".gov.cn"
        else:
            if kind_roll < 0.12:
                industry = DEALER_INDUSTRY
                customer_type = Party.CustomerType.DEALER
            else:
                industry = self.weighted(industries, industry_weights)
                customer_type = (
                    Party.CustomerType.ENTERPRISE
                    if rng.random() < 0.96
                    else Party.CustomerType.OTHER
                )
            while True:
                trade = rng.choice(TRADE_NAMES)
                short = trade + industry[2]
                name = f"{city.name}{trade}{industry[1]}"
                if short not in used_short and name not in self.used_names:
                    break
            domain_base = f"{full_pinyin(trade)}{industry[3] if rng.random() < 0.5 else ''}"
            domain_base += rng.choice([".com", ".com", ".com.cn", ".cn", ".net"])
        used_short.add(short)
        self.used_names.add(name)
        company_phone = self.landline(city)
        level = self.weighted(
            [Party.Level.KEY, Party.Level.IMPORTANT, Party.Level.NORMAL, Party.Level.LOW],
            [5, 20, 60, 15],
        )
        data: dict[str, Any] = {
            "kind": Party.Kind.COMPANY,
            "name": name,
            "short_name": short,
            "code": code,
            "customer_type": customer_type,
            "level": level,
            "source": self.source(),
            "company_name": name,
            "industry": industry[0],
            "company_size": self.weighted(
                [s for s, _w in COMPANY_SIZES], [w for _s, w in COMPANY_SIZES]
            ),
            "phone": company_phone,
            "email": self.unique_email(
                rng.choice(["info", "sales", "purchase", "office", "service"]), domain_base
            ),
            "website": f"https://www.{domain_base}",
            "province": city.province,
            "city": city.city,
            "district": district,
            "address": address,
            "postcode": postcode,
        }
        if rng.random() < 0.25:
            data["fax"] = self.landline(city)
        data.update(self.settlement(level))
        # contacts: 1-4, the first one primary
        count = self.weighted([1, 2, 3, 4], [28, 37, 23, 12])
        contacts: list[dict[str, Any]] = []
        for n in range(count):
            role = self.weighted(
                list(CONTACT_ROLES), [r[2] if n == 0 else r[3] for r in CONTACT_ROLES]
            )
            contact = self.contact(
                role=role, domain=domain_base, city=city, company_phone=company_phone
            )
            contact["is_primary"] = n == 0
            if rng.random() < 0.3:
                contact["address"] = f"{city.city}{district}{address}"
            contacts.append(contact)
        if rng.random() < 0.35 or level == Party.Level.KEY:
            data.update(self.profile(contacts, industry[0]))
        spec = PartySpec(
            code=code,
            data=data,
            category=(PartyRole.CUSTOMER, (city.region, city.name)),
            owner=owner,
            contacts=contacts,
        )
        spec.locked = level == Party.Level.KEY and rng.random() < 0.5
        return spec

    def person_customer(self, code: str, city: City, owner: str | None) -> PartySpec:
        rng = self.rng
        gender = "male" if rng.random() < 0.5 else "female"
        while True:
            name = self.person_name(gender)
            if name not in self.used_names:
                break
        self.used_names.add(name)
        pinyin = full_pinyin(name, surname=True)
        mobile = self.mobile()
        district, address = self.home_address(city)
        data: dict[str, Any] = {
            "kind": Party.Kind.PERSON,
            "name": name,
            "code": code,
            "customer_type": Party.CustomerType.INDIVIDUAL,
            "level": self.weighted(
                [Party.Level.IMPORTANT, Party.Level.NORMAL, Party.Level.LOW], [10, 70, 20]
            ),
            "source": self.weighted(
                [
                    Party.Source.REFERRAL,
                    Party.Source.SOCIAL,
                    Party.Source.WALK_IN,
                    Party.Source.WEBSITE,
                ],
                [30, 35, 20, 15],
            ),
            "gender": gender,
            "mobile": mobile,
            "email": self.unique_email(
                pinyin if rng.random() < 0.6 else str(rng.randint(10**8, 10**10)),
                rng.choice(PERSONAL_MAIL_DOMAINS),
            ),
            "province": city.province,
            "city": city.city,
            "district": district,
            "address": address,
            "home_address": f"{city.city}{district}{address}",
            "settlement_type": self.weighted(
                [Party.Settlement.CASH, Party.Settlement.PREPAID], [70, 30]
            ),
        }
        if rng.random() < 0.6:
            data["wechat"] = self.wechat(pinyin, mobile)
        if rng.random() < 0.4:
            data["birthday"] = date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 33))
        if rng.random() < 0.3:
            data["interests"] = rng.choice(INTERESTS)
        if rng.random() < 0.3:
            data["job_title"] = rng.choice(
                ["个体经营者", "设计师", "工程师", "教师", "医生", "店主"]
            )
        # The person is their own primary contact.
        contact: dict[str, Any] = {
            "name": name,
            "gender": gender,
            "role": "本人",
            "mobile": mobile,
            "email": data["email"],
            "is_primary": True,
        }
        if "wechat" in data:
            contact["wechat"] = data["wechat"]
        if rng.random() < 0.5:
            contact.update(self.birthday_fields())
            if rng.random() < 0.5:
                contact["birthday_reminder"] = True
        return PartySpec(
            code=code,
            data=data,
            category=(PartyRole.CUSTOMER, (city.region, city.name)),
            owner=owner,
            contacts=[contact],
        )

    def source(self) -> str:
        return str(
            self.weighted(
                [
                    Party.Source.REFERRAL,
                    Party.Source.WEBSITE,
                    Party.Source.EXHIBITION,
                    Party.Source.ADVERTISING,
                    Party.Source.COLD_CALL,
                    Party.Source.PARTNER,
                    Party.Source.SOCIAL,
                    Party.Source.OTHER,
                ],
                [22, 18, 18, 6, 14, 10, 8, 4],
            )
        )

    def settlement(self, level: str) -> dict[str, Any]:
        rng = self.rng
        credit_share = {"key": 0.8, "important": 0.5}.get(level, 0.2)
        roll = rng.random()
        if roll < credit_share:
            limit = rng.choice(
                [500000, 1000000, 2000000] if level == "key" else [50000, 100000, 200000, 300000]
            )
            return {"settlement_type": Party.Settlement.CREDIT, "credit_limit": Decimal(limit)}
        if roll < credit_share + 0.25:
            return {"settlement_type": Party.Settlement.PREPAID}
        return {"settlement_type": Party.Settlement.CASH}

    def profile(self, contacts: list[dict[str, Any]], industry: str) -> dict[str, Any]:
        rng = self.rng
        founded = rng.randint(1995, 2020)
        size = rng.choice([40, 80, 150, 300, 600, 1200])
        revenue = rng.choice([800, 1500, 3000, 6000, 12000, 30000])
        background = (
            f"{founded} 年成立，主营{industry}相关业务，员工约 {size} 人，"
            f"年营业额约 {revenue} 万元。{rng.choice(BACKGROUND_EXTRAS)}"
        )
        by_role = {c["role"]: c["name"] for c in contacts}
        boss = by_role.get("总经理") or by_role.get("董事长") or by_role.get("副总经理")
        buyer = by_role.get("采购经理") or by_role.get("采购专员")
        parts = []
        if boss:
            parts.append(
                f"{boss}（{'总经理' if boss == by_role.get('总经理') else '高管'}）最终拍板"
            )
        if buyer:
            parts.append(f"{buyer}负责比价和合同")
        tech = by_role.get("技术负责人")
        if tech:
            parts.append(f"{tech}把关技术参数")
        decision = "；".join(parts) + "。" if parts else "决策人尚未明确，需进一步了解。"
        return {
            "background": background,
            "decision_makers": decision,
            "budget": rng.choice(BUDGETS),
            "purchase_timeline": rng.choice(TIMELINES),
        }

    def tag_and_group(self, specs: list[PartySpec]) -> None:
        rng = self.rng
        for spec in specs:
            d = spec.data
            level = d["level"]
            if level == Party.Level.KEY or (level == Party.Level.IMPORTANT and rng.random() < 0.3):
                spec.tags.append("重点跟进")
            if spec.created_days_ago > 365 and level != Party.Level.LOW and rng.random() < 0.6:
                spec.tags.append("老客户")
            if rng.random() < 0.15:
                spec.tags.append("价格敏感")
            if d.get("source") == Party.Source.EXHIBITION:
                spec.tags.append("展会获客")
                # created this year (2026 trade fairs)
                if spec.created_days_ago < 320:
                    spec.groups.append(GROUP_EXPO)
            if spec.created_days_ago < 60:
                spec.tags.append("新客户")
            if spec.owner and (spec.last_contact_days_ago or 0) > 20 and rng.random() < 0.5:
                spec.tags.append("需回访")
            if level == Party.Level.KEY or (level == Party.Level.IMPORTANT and rng.random() < 0.25):
                spec.groups.append(GROUP_VIP)
            if d.get("customer_type") == Party.CustomerType.DEALER:
                spec.groups.append(GROUP_DEALERS)

    def other_party(
        self,
        *,
        code: str,
        name: str,
        short: str,
        role: str,
        path: tuple[str, ...],
        city_name: str,
        domain_word: str,
    ) -> PartySpec:
        rng = self.rng
        city = next(c for c in (*CITIES, *SUPPLIER_CITIES) if c.name == city_name)
        district, address, postcode = self.company_address(city)
        trade = name.removeprefix(city.name)[:2]
        domain = f"{full_pinyin(trade)}{full_pinyin(domain_word)[:6]}.com"
        phone = self.landline(city)
        self.used_names.add(name)
        data: dict[str, Any] = {
            "kind": Party.Kind.COMPANY,
            "name": name,
            "short_name": short,
            "code": code,
            "is_customer": False,
            "is_supplier": role == PartyRole.SUPPLIER,
            "is_competitor": role == PartyRole.COMPETITOR,
            "is_channel": role == PartyRole.CHANNEL,
            "customer_type": Party.CustomerType.DEALER
            if role == PartyRole.CHANNEL
            else Party.CustomerType.ENTERPRISE,
            "company_name": name,
            "industry": domain_word,
            "phone": phone,
            "email": self.unique_email(rng.choice(["info", "sales", "service"]), domain),
            "website": f"https://www.{domain}",
            "province": city.province,
            "city": city.city,
            "district": district,
            "address": address,
            "postcode": postcode,
            "source": Party.Source.PARTNER if role == PartyRole.CHANNEL else "",
        }
        contacts: list[dict[str, Any]] = []
        if role != PartyRole.COMPETITOR:
            roles = [r for r in CONTACT_ROLES if r[0] in {"总经理", "采购经理", "财务"}]
            sales_role = ("销售经理", "销售部", 1, 1)
            for n in range(rng.choice([1, 2])):
                contact = self.contact(
                    role=sales_role if n == 0 else rng.choice(roles),
                    domain=domain,
                    city=city,
                    company_phone=phone,
                )
                contact["is_primary"] = n == 0
                contacts.append(contact)
        return PartySpec(
            code=code,
            data=data,
            category=(role, path),
            owner="manager",
            contacts=contacts,
            created_days_ago=rng.uniform(300, 900),
        )

    def others(self) -> list[PartySpec]:
        specs = []
        for n, (name, path, city_name, word) in enumerate(SUPPLIERS, 1):
            short = name.removeprefix(city_name).replace("有限公司", "")[:10]
            spec = self.other_party(
                code=f"S{n:04d}", name=name, short=short, role=PartyRole.SUPPLIER,
                path=path, city_name=city_name, domain_word=word,
            )  # fmt: skip
            spec.data["settlement_type"] = Party.Settlement.CREDIT
            spec.data["credit_limit"] = Decimal(self.rng.choice([100000, 200000, 500000]))
            specs.append(spec)
        for n, (name, short, path, city_name, notes) in enumerate(COMPETITORS, 1):
            spec = self.other_party(
                code=f"J{n:04d}", name=name, short=short, role=PartyRole.COMPETITOR,
                path=path, city_name=city_name, domain_word="industry",
            )  # fmt: skip
            spec.data["background"] = notes
            specs.append(spec)
        for n, (name, short, path, city_name, limit) in enumerate(CHANNELS, 1):
            spec = self.other_party(
                code=f"Q{n:04d}", name=name, short=short, role=PartyRole.CHANNEL,
                path=path, city_name=city_name, domain_word="trade",
            )  # fmt: skip
            spec.data["settlement_type"] = Party.Settlement.CREDIT
            spec.data["credit_limit"] = Decimal(limit)
            spec.data["level"] = Party.Level.IMPORTANT
            specs.append(spec)
        return specs


def demo_parties(seed: int = SEED) -> list[PartySpec]:
    """The demo's customers, suppliers, competitors and channels, with their contacts."""
    gen = _Generator(seed)
    specs = gen.customers()
    # Contacts with a lunar leap-month birthday and with a lunar 30th, whatever the dice said.
    companies = [s for s in specs if s.data["kind"] == Party.Kind.COMPANY]
    for spec, (year, month, leap, day) in zip(
        companies[3:60:19],
        [(1979, 6, True, 30), (1987, 6, True, 12), (1990, 7, False, 30)],
        strict=True,
    ):
        contact = spec.contacts[0]
        contact.pop("birthday", None)
        contact.update(
            birthday_calendar=Contact.BirthdayCalendar.LUNAR,
            lunar_birth_year=year,
            lunar_birth_month=month,
            lunar_birth_day=day,
            lunar_birth_leap=leap,
            birthday_reminder=True,
            reminder_days_before=3,
        )
    gen.special_surnames(companies)
    return specs + gen.others()


def demo_codes() -> list[str]:
    """The codes `demo_parties()` gives, without generating anything."""
    return [
        *(f"C{n:04d}" for n in range(1, CUSTOMER_COUNT + 1)),
        *(f"S{n:04d}" for n in range(1, len(SUPPLIERS) + 1)),
        *(f"J{n:04d}" for n in range(1, len(COMPETITORS) + 1)),
        *(f"Q{n:04d}" for n in range(1, len(CHANNELS) + 1)),
    ]


# --- loading ----------------------------------------------------------------------------------


def _office_time(now: datetime, zone: ZoneInfo, days_ago: float) -> datetime:
    """`days_ago` whole days before today, at an office hour (09:00–18:00 local) given by
    the fraction; never later than now."""
    day = timezone.localtime(now, zone).date() - timedelta(days=int(days_ago))
    seconds = int((days_ago % 1) * 9 * 3600)
    moment = datetime.combine(day, clock(9), tzinfo=zone) + timedelta(seconds=seconds)
    return min(moment, now - timedelta(minutes=5))


def _ensure_tree(
    org: Any, tree: str, shape: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[tuple[str, ...], PartyCategory]:
    """Get or create a role's category tree; return {path of names: category}."""
    nodes: dict[tuple[str, ...], PartyCategory] = {}
    for top, children in shape:
        root = PartyCategory.objects.filter(tree=tree, depth=1, name=top).first()
        if root is None:
            root = add_category(model=PartyCategory, org=org, name=top, extra={"tree": tree})
        nodes[(top,)] = root
        for child_name in children:
            child = PartyCategory.objects.filter(
                tree=tree, depth=2, path__startswith=root.path, name=child_name
            ).first()
            if child is None:
                child = add_category(
                    model=PartyCategory, org=org, name=child_name, parent=root, extra={"tree": tree}
                )
            nodes[(top, child_name)] = child
    return nodes


def _users(ctx: DemoContext) -> dict[str, Any]:
    from guanxi.accounts.models import User

    users = dict(ctx.users)
    missing = {"manager", "sales1", "sales2", "sales3", "admin"} - set(users)
    if missing:
        with scopes_disabled():
            users.update({u.username: u for u in User.objects.filter(username__in=missing)})
    return users


def seed_customers(ctx: DemoContext) -> None:
    started = time.monotonic()
    org = ctx.org
    customer_tree = tuple(
        (region, tuple(c.name for c in CITIES if c.region == region)) for region in REGIONS
    )
    categories: dict[str, dict[tuple[str, ...], PartyCategory]] = {
        PartyRole.CUSTOMER: _ensure_tree(org, PartyRole.CUSTOMER, customer_tree),
        PartyRole.SUPPLIER: _ensure_tree(org, PartyRole.SUPPLIER, SUPPLIER_TREE),
        PartyRole.COMPETITOR: _ensure_tree(org, PartyRole.COMPETITOR, COMPETITOR_TREE),
        PartyRole.CHANNEL: _ensure_tree(org, PartyRole.CHANNEL, CHANNEL_TREE),
    }
    tags = {}
    for name, color in TAGS:
        tags[name], _created = Tag.objects.get_or_create(
            org=org, name=name, defaults={"color": color}
        )
    users = _users(ctx)
    groups = {}
    for name, description in GROUPS:
        groups[name], _created = PartyGroup.objects.get_or_create(
            org=org,
            name=name,
            defaults={"description": description, "owner": users.get("manager")},
        )

    codes = demo_codes()
    existing = set(Party.all_objects.filter(code__in=codes).values_list("code", flat=True))
    if len(existing) == len(codes):
        ctx.log(f"{len(codes)} demo customers, suppliers, competitors and channels already there")
        return
    specs = demo_parties()
    if [s.code for s in specs] != codes:
        raise RuntimeError("demo_codes() and demo_parties() disagree")
    actor = users.get("admin")
    now = timezone.now()
    zone = ZoneInfo(org.time_zone or "Asia/Shanghai")
    created: list[tuple[PartySpec, Party]] = []
    contact_count = 0
    for spec in specs:
        if spec.code in existing:
            continue
        tree, path = spec.category
        data = dict(spec.data)
        data[CATEGORY_FIELD_BY_ROLE[tree]] = categories[tree][path]
        if spec.second_role:
            other_tree, other_path = spec.second_role
            data[CATEGORY_FIELD_BY_ROLE[other_tree]] = categories[other_tree][other_path]
        data["owner"] = users.get(spec.owner) if spec.owner else None
        party = create_party(
            org=org, actor=actor, data=data, tags=[tags[name] for name in spec.tags]
        )
        for contact in spec.contacts:
            create_contact(party=party, actor=actor, data=contact)
            contact_count += 1
        created.append((spec, party))

    # What the services do not set: creation and follow-up times, pool entry, locks, groups.
    members = []
    for spec, party in created:
        if spec.locked:
            set_party_lock(party=party, actor=actor, locked=True)
        created_at = _office_time(now, zone, spec.created_days_ago)
        changes: dict[str, datetime | None] = {"created_at": created_at, "updated_at": created_at}
        if spec.last_contact_days_ago is not None:
            changes["last_contact_at"] = _office_time(now, zone, spec.last_contact_days_ago)
        if spec.pool_days_ago is not None:
            changes["pool_entered_at"] = _office_time(now, zone, spec.pool_days_ago)
        Party.objects.filter(pk=party.pk).update(**changes)
        Contact.objects.filter(party=party).update(created_at=created_at, updated_at=created_at)
        members += [
            PartyGroupMember(org=org, group=groups[name], party=party) for name in spec.groups
        ]
    PartyGroupMember.objects.bulk_create(members, ignore_conflicts=True)

    customers = sum(1 for spec, _p in created if spec.data.get("is_customer", True))
    ctx.log(
        f"{customers} customers, {len(created) - customers} suppliers/competitors/channels, "
        f"{contact_count} contacts created ({len(existing)} already there) "
        f"in {time.monotonic() - started:.1f} s"
    )


register_demo_seeder("parties.customers", 20, seed_customers)
