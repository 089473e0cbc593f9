"""Demo data: the demo organisation's product catalogue (order 30).

About sixty products of an office-equipment dealer in a two-level category tree
(办公设备 › 打印机/复印机/投影仪, 电脑及配件 › 笔记本/台式机/显示器/配件, 网络设备,
耗材, 服务 › 安装/维保), eight brands, serial-tracked machines with a 12- or 24-month
warranty, a few parts, two bundles, reorder levels and preferred suppliers (the demo's
suppliers, when the customers seeder has made them).

Deterministic (`random.Random(SEED)` only shapes reorder quantities) and idempotent:
products whose code exists are left alone, categories, brands and components are
found before they are made.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from guanxi.catalog.models import Brand, Product, ProductCategory, ProductComponent
from guanxi.catalog.services import add_component, create_brand, create_product
from guanxi.core.categories import add_category
from guanxi.core.demo import DemoContext
from guanxi.parties.models import Party

SEED = 20260300

TREE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("办公设备", ("打印机", "复印机", "投影仪")),
    ("电脑及配件", ("笔记本", "台式机", "显示器", "配件")),
    ("网络设备", ("路由器", "交换机", "无线AP")),
    ("耗材", ("硒鼓墨盒", "纸张")),
    ("服务", ("安装", "维保")),
)
BRANDS = ("联想", "惠普", "佳能", "戴尔", "华为", "爱普生", "得力", "普联")

S = Product.Kind.SERVICE
# code, name, model, spec, unit, (big, small), brand, list price, cost, extra
# fmt: off
PRODUCTS: tuple[tuple[str, str, str, str, str, tuple[str, str], str, str, str, dict[str, Any]], ...] = (
    ("PRN-001", "黑白激光打印机", "LaserJet M1136", "A4 / 18页每分钟 / USB", "台", ("办公设备", "打印机"), "惠普", "1399.00", "1050.00", {"serial": 12, "reorder": 5}),
    ("PRN-002", "彩色激光打印机", "Color LaserJet M255dw", "A4 / 21页每分钟 / 双面 / 无线", "台", ("办公设备", "打印机"), "惠普", "3299.00", "2580.00", {"serial": 12, "reorder": 3}),
    ("PRN-003", "喷墨连供打印机", "L3258", "A4 / 彩色 / 无线 / 墨仓式", "台", ("办公设备", "打印机"), "爱普生", "1199.00", "905.00", {"serial": 12, "reorder": 4}),
    ("PRN-004", "激光多功能一体机", "imageCLASS MF643Cdw", "打印复印扫描 / 彩色 / 双面", "台", ("办公设备", "打印机"), "佳能", "3899.00", "3020.00", {"serial": 12, "reorder": 2}),
    ("PRN-005", "针式票据打印机", "LQ-630KII", "82列 / 1+6联 / 发票打印", "台", ("办公设备", "打印机"), "爱普生", "2199.00", "1720.00", {"serial": 12, "reorder": 3}),
    ("PRN-006", "标签打印机", "DL-888D", "热敏 / 108mm / USB", "台", ("办公设备", "打印机"), "得力", "499.00", "330.00", {"reorder": 5}),
    ("CPY-001", "A3黑白数码复合机", "imageRUNNER 2625", "25页每分钟 / 双面 / 网络打印", "台", ("办公设备", "复印机"), "佳能", "13800.00", "10900.00", {"serial": 24, "reorder": 1}),
    ("CPY-002", "A3彩色数码复合机", "imageRUNNER ADVANCE DX C3826", "26页每分钟 / 彩色 / 输稿器", "台", ("办公设备", "复印机"), "佳能", "32800.00", "26500.00", {"serial": 24, "reorder": 1}),
    ("CPY-003", "A3黑白复印机", "LaserJet MFP M437nda", "23页每分钟 / 网络", "台", ("办公设备", "复印机"), "惠普", "9999.00", "7900.00", {"serial": 24, "reorder": 1}),
    ("PRJ-001", "商务投影仪", "CB-X50", "3600流明 / XGA / 1024×768", "台", ("办公设备", "投影仪"), "爱普生", "3999.00", "3150.00", {"serial": 12, "reorder": 2}),
    ("PRJ-002", "高清会议投影仪", "CB-FH52", "4000流明 / 1080P / 无线投屏", "台", ("办公设备", "投影仪"), "爱普生", "6499.00", "5120.00", {"serial": 12, "reorder": 1}),
    ("PRJ-003", "电动投影幕布", "DL-100E", "100英寸 / 16:9 / 遥控", "幅", ("办公设备", "投影仪"), "得力", "899.00", "610.00", {"reorder": 2}),
    ("NB-001", "商务笔记本电脑", "ThinkPad E14 Gen 5", "i5-1335U / 16G / 512G SSD / 14英寸", "台", ("电脑及配件", "笔记本"), "联想", "5699.00", "4760.00", {"serial": 12, "reorder": 5}),
    ("NB-002", "轻薄笔记本电脑", "ThinkBook 14+", "R7-7840H / 32G / 1T SSD / 14.5英寸 2.9K", "台", ("电脑及配件", "笔记本"), "联想", "6999.00", "5880.00", {"serial": 12, "reorder": 3}),
    ("NB-003", "移动工作站", "Precision 3581", "i7-13700H / 32G / 1T / RTX A1000", "台", ("电脑及配件", "笔记本"), "戴尔", "15999.00", "13400.00", {"serial": 24, "reorder": 1}),
    ("NB-004", "商务笔记本电脑", "Latitude 5440", "i5-1345U / 16G / 512G / 14英寸", "台", ("电脑及配件", "笔记本"), "戴尔", "6299.00", "5280.00", {"serial": 12, "reorder": 3}),
    ("NB-005", "笔记本电脑", "MateBook 14", "i5-1340P / 16G / 1T / 2K触屏", "台", ("电脑及配件", "笔记本"), "华为", "5999.00", "5010.00", {"serial": 12, "reorder": 3}),
    ("PC-001", "商用台式机", "扬天 M4000q", "i5-12400 / 16G / 512G SSD / 23.8英寸显示器", "台", ("电脑及配件", "台式机"), "联想", "4599.00", "3820.00", {"serial": 12, "reorder": 5}),
    ("PC-002", "商用台式机", "OptiPlex 7010 MT", "i7-13700 / 16G / 1T SSD", "台", ("电脑及配件", "台式机"), "戴尔", "6799.00", "5690.00", {"serial": 36, "reorder": 2}),
    ("PC-003", "一体机电脑", "ProOne 440 G9", "i5-12500T / 8G / 512G / 23.8英寸", "台", ("电脑及配件", "台式机"), "惠普", "5299.00", "4410.00", {"serial": 12, "reorder": 2}),
    ("MON-001", "23.8英寸显示器", "P2423D", "2K IPS / 可升降旋转", "台", ("电脑及配件", "显示器"), "戴尔", "1599.00", "1210.00", {"serial": 36, "reorder": 8}),
    ("MON-002", "27英寸显示器", "ThinkVision T27h-30", "2K IPS / Type-C 90W", "台", ("电脑及配件", "显示器"), "联想", "2199.00", "1690.00", {"serial": 36, "reorder": 5}),
    ("MON-003", "21.5英寸显示器", "P22v G5", "1080P VA / HDMI", "台", ("电脑及配件", "显示器"), "惠普", "699.00", "520.00", {"reorder": 10}),
    ("ACC-001", "无线键鼠套装", "MK345", "2.4G无线 / 全尺寸", "套", ("电脑及配件", "配件"), "得力", "129.00", "78.00", {"reorder": 30}),
    ("ACC-002", "无线鼠标", "M330", "静音 / 2.4G", "个", ("电脑及配件", "配件"), "联想", "89.00", "52.00", {"reorder": 40}),
    ("ACC-003", "笔记本电脑包", "B210", "15.6英寸 / 防泼水", "个", ("电脑及配件", "配件"), "联想", "149.00", "88.00", {"reorder": 20}),
    ("ACC-004", "扩展坞", "WD19S", "Type-C / 双屏 / 130W", "个", ("电脑及配件", "配件"), "戴尔", "1299.00", "980.00", {"reorder": 5}),
    ("ACC-005", "移动固态硬盘", "P9 1TB", "USB 3.2 / 1TB", "个", ("电脑及配件", "配件"), "联想", "599.00", "430.00", {"reorder": 10}),
    ("ACC-006", "内存条", "DDR4 3200 16G", "笔记本用 / 16GB", "条", ("电脑及配件", "配件"), "联想", "329.00", "230.00", {"reorder": 20}),
    ("RT-001", "企业级路由器", "ER3200G2", "双WAN / 千兆 / VPN", "台", ("网络设备", "路由器"), "普联", "799.00", "580.00", {"serial": 24, "reorder": 3}),
    ("RT-002", "企业路由器", "AR6140-9G-2AC", "9个千兆口 / 多业务", "台", ("网络设备", "路由器"), "华为", "5680.00", "4560.00", {"serial": 36, "reorder": 1}),
    ("RT-003", "家用无线路由器", "AX3000", "Wi-Fi 6 / 千兆", "台", ("网络设备", "路由器"), "华为", "369.00", "260.00", {"reorder": 10}),
    ("SW-001", "24口千兆交换机", "S1730S-L24T-A", "24×GE / 非网管", "台", ("网络设备", "交换机"), "华为", "1399.00", "1020.00", {"serial": 36, "reorder": 3}),
    ("SW-002", "48口网管交换机", "S5735S-L48T4S-A", "48×GE + 4×10GE SFP+", "台", ("网络设备", "交换机"), "华为", "6880.00", "5420.00", {"serial": 36, "reorder": 1}),
    ("SW-003", "8口千兆交换机", "SG1008D", "8×GE / 桌面型", "台", ("网络设备", "交换机"), "普联", "129.00", "82.00", {"reorder": 20}),
    ("AP-001", "吸顶式无线AP", "AirEngine 5761-11", "Wi-Fi 6 / 双频 / PoE供电", "台", ("网络设备", "无线AP"), "华为", "1680.00", "1290.00", {"serial": 36, "reorder": 4}),
    ("AP-002", "面板式无线AP", "TL-AP1202GI-PoE", "86面板 / 双频 / PoE", "台", ("网络设备", "无线AP"), "普联", "239.00", "165.00", {"reorder": 10}),
    ("TON-001", "原装硒鼓", "CC388A", "黑色 / 约1500页 / 适用M1136", "支", ("耗材", "硒鼓墨盒"), "惠普", "459.00", "330.00", {"reorder": 20}),
    ("TON-002", "原装彩色硒鼓套装", "W2110A-W2113A", "四色 / 适用M255", "套", ("耗材", "硒鼓墨盒"), "惠普", "2299.00", "1760.00", {"reorder": 5}),
    ("TON-003", "墨水四色套装", "T00V1-T00V4", "65ml×4 / 适用L3258", "套", ("耗材", "硒鼓墨盒"), "爱普生", "199.00", "132.00", {"reorder": 20}),
    ("TON-004", "复印机粉盒", "NPG-59", "黑色 / 约10200页 / 适用iR2625", "支", ("耗材", "硒鼓墨盒"), "佳能", "399.00", "275.00", {"reorder": 10}),
    ("TON-005", "色带架", "S015630", "适用LQ-630K", "个", ("耗材", "硒鼓墨盒"), "爱普生", "39.00", "22.00", {"reorder": 50}),
    ("PAP-001", "A4复印纸", "得力 70g", "70g / 500张每包 / 8包每箱", "箱", ("耗材", "纸张"), "得力", "169.00", "128.00", {"reorder": 50, "backorder": True}),
    ("PAP-002", "A3复印纸", "得力 80g", "80g / 500张每包 / 4包每箱", "箱", ("耗材", "纸张"), "得力", "189.00", "142.00", {"reorder": 20, "backorder": True}),
    ("PAP-003", "热敏标签纸", "DL-60×40", "60×40mm / 800张每卷", "卷", ("耗材", "纸张"), "得力", "19.90", "11.50", {"reorder": 100, "backorder": True}),
    ("SVI-001", "打印机上门安装调试", "", "市区 / 含驱动安装与共享设置", "次", ("服务", "安装"), "", "150.00", "60.00", {"kind": S}),
    ("SVI-002", "复印机安装及培训", "", "含网络打印配置与操作培训", "次", ("服务", "安装"), "", "500.00", "200.00", {"kind": S}),
    ("SVI-003", "网络布线及设备调试", "", "按信息点计 / 含测试", "点", ("服务", "安装"), "", "180.00", "90.00", {"kind": S}),
    ("SVI-004", "电脑系统安装", "", "操作系统与办公软件", "台", ("服务", "安装"), "", "80.00", "30.00", {"kind": S}),
    ("SVM-001", "打印机年度维保", "", "一年 / 不限次上门 / 不含耗材", "年", ("服务", "维保"), "", "800.00", "320.00", {"kind": S}),
    ("SVM-002", "复印机全保服务", "", "一年 / 含耗材零件 / 按张计费另议", "年", ("服务", "维保"), "", "3600.00", "1900.00", {"kind": S}),
    ("SVM-003", "IT设备驻场运维", "", "每月 / 每周驻场一天", "月", ("服务", "维保"), "", "2800.00", "1600.00", {"kind": S}),
    ("SVM-004", "延长保修一年", "", "整机 / 原厂延保", "年", ("服务", "维保"), "", "399.00", "230.00", {"kind": S}),
    # parts
    ("PRT-001", "打印机定影组件", "RM1-6921", "适用M1136 / 220V", "个", ("办公设备", "打印机"), "惠普", "350.00", "210.00", {"reorder": 3}),
    ("PRT-002", "打印机搓纸轮", "RL1-1443", "适用M1136", "个", ("办公设备", "打印机"), "惠普", "45.00", "21.00", {"reorder": 10}),
    ("PRT-003", "复印机感光鼓", "C-EXV59", "约50000页 / 适用iR2625", "个", ("办公设备", "复印机"), "佳能", "1280.00", "890.00", {"reorder": 2}),
    ("PRT-004", "复印机分离爪", "FC6-7083", "适用iR2625", "个", ("办公设备", "复印机"), "佳能", "60.00", "30.00", {"reorder": 10}),
    # bundles
    ("BND-001", "办公打印套装", "M1136 套装", "打印机 + 2支硒鼓 + 1箱A4纸 + 上门安装", "套", ("办公设备", "打印机"), "惠普", "2499.00", "1900.00", {}),
    ("BND-002", "笔记本办公套装", "E14 套装", "笔记本 + 无线鼠标 + 电脑包", "套", ("电脑及配件", "笔记本"), "联想", "5899.00", "4900.00", {}),
    ("NB-OLD", "商务笔记本电脑（停产）", "ThinkPad E14 Gen 3", "i5-1135G7 / 8G / 256G", "台", ("电脑及配件", "笔记本"), "联想", "4299.00", "3600.00", {"serial": 12, "voided": True}),
)
# fmt: on
COMPONENTS: tuple[tuple[str, str, str, str], ...] = (
    ("BND-001", "PRN-001", "1", ProductComponent.Relation.BUNDLE),
    ("BND-001", "TON-001", "2", ProductComponent.Relation.BUNDLE),
    ("BND-001", "PAP-001", "1", ProductComponent.Relation.BUNDLE),
    ("BND-001", "SVI-001", "1", ProductComponent.Relation.BUNDLE),
    ("BND-002", "NB-001", "1", ProductComponent.Relation.BUNDLE),
    ("BND-002", "ACC-002", "1", ProductComponent.Relation.BUNDLE),
    ("BND-002", "ACC-003", "1", ProductComponent.Relation.BUNDLE),
    ("PRN-001", "PRT-001", "1", ProductComponent.Relation.PART),
    ("PRN-001", "PRT-002", "2", ProductComponent.Relation.PART),
    ("CPY-001", "PRT-003", "1", ProductComponent.Relation.PART),
    ("CPY-001", "PRT-004", "4", ProductComponent.Relation.PART),
)


def demo_codes() -> list[str]:
    return [row[0] for row in PRODUCTS]


def _ensure_tree(org: Any) -> dict[tuple[str, ...], ProductCategory]:
    nodes: dict[tuple[str, ...], ProductCategory] = {}
    for top, children in TREE:
        root = ProductCategory.objects.filter(depth=1, name=top).first()
        if root is None:
            root = add_category(model=ProductCategory, org=org, name=top)
        nodes[(top,)] = root
        for child_name in children:
            child = ProductCategory.objects.filter(
                depth=2, path__startswith=root.path, name=child_name
            ).first()
            if child is None:
                child = add_category(model=ProductCategory, org=org, name=child_name, parent=root)
            nodes[(top, child_name)] = child
    return nodes


def _ensure_brands(org: Any) -> dict[str, Brand]:
    brands = {b.name: b for b in Brand.objects.filter(name__in=BRANDS)}
    for name in BRANDS:
        if name not in brands:
            brands[name] = create_brand(org=org, actor=None, name=name)
    return brands


def seed_products(ctx: DemoContext) -> None:
    started = time.monotonic()
    org = ctx.org
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    categories = _ensure_tree(org)
    brands = _ensure_brands(org)
    suppliers = list(Party.objects.filter(is_supplier=True).order_by("code", "id")[:6])
    actor = ctx.users.get("admin")
    existing = set(Product.all_objects.filter(code__in=demo_codes()).values_list("code", flat=True))
    created = 0
    for index, (code, name, model, spec, unit, path, brand, price, cost, extra) in enumerate(
        PRODUCTS
    ):
        # Drawn for every row, created or not, so a rerun draws the same numbers.
        reorder_quantity = Decimal(rng.choice((2, 3, 4, 5))) * Decimal(extra.get("reorder", 0))
        if code in existing:
            continue
        kind = extra.get("kind", Product.Kind.STOCKED)
        months = int(extra.get("serial", 0))
        data: dict[str, Any] = {
            "code": code,
            "name": name,
            "model": model,
            "spec": spec,
            "unit": unit,
            "kind": kind,
            "category": categories[path],
            "brand": brands[brand] if brand else None,
            "list_price": Decimal(price),
            "cost_price": Decimal(cost),
            "tax_rate": Decimal("6") if kind == Product.Kind.SERVICE else Decimal("13"),
            "serial_tracked": bool(months),
            "warranty_type": "整机保修" if months else "",
            "warranty_months": months,
            "reorder_level": Decimal(extra.get("reorder", 0)),
            "reorder_quantity": reorder_quantity,
            "allow_backorder": bool(extra.get("backorder", False)),
            "barcode": f"69{index:011d}" if kind != Product.Kind.SERVICE else "",
        }
        if suppliers and kind != Product.Kind.SERVICE:
            data["preferred_supplier"] = suppliers[index % len(suppliers)]
        product = create_product(org=org, actor=actor, data=data)
        if extra.get("voided"):
            from guanxi.catalog.services import void_product

            void_product(product=product, actor=actor)
        created += 1
    by_code = {p.code: p for p in Product.objects.filter(code__in=demo_codes())}
    lines = 0
    for parent, component, quantity, relation in COMPONENTS:
        if parent not in by_code or component not in by_code:
            continue
        if ProductComponent.objects.filter(
            parent=by_code[parent], component=by_code[component], relation=relation
        ).exists():
            continue
        add_component(
            parent=by_code[parent],
            component=by_code[component],
            actor=actor,
            quantity=quantity,
            relation=relation,
        )
        lines += 1
    ctx.log(
        f"{created} demo products created ({len(existing)} already there), "
        f"{lines} bundle/part lines, in {time.monotonic() - started:.1f} s"
    )
