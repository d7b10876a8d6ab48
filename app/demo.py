"""Demo data: a Wenzhou and a Wuxi region filled after the cases of DESIGN.md section 2.

`flask --app wsgi seed-demo` runs `seed_demo`. The data comes from a fixed random seed, so
every install gets the same companies, people and numbers; dates are laid out around the
day of seeding, so the upcoming seminars and visits are always upcoming. Secrets (the
demo password, registration cancel tokens) never come from that seed.
"""
import os
import random
import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.accounts.models import (
    Company,
    Contact,
    ContactRole,
    Line,
    Opportunity,
    OpportunityStage,
    Order,
    RevenueBand,
    Stage,
    Tier,
)
from app.accounts.naming import name_key
from app.associations.models import Association, Membership, MembershipStatus
from app.auth.models import Region, Role, User
from app.auth.services import create_user, get_or_create_region
from app.dashboard.funnel.demo import seed_funnel_demo
from app.equipment.demo import seed_equipment_demo
from app.experts.models import Expert, ExpertTag, Organisation, Unavailability
from app.extensions import db
from app.keyaccounts.demo import seed_keeping
from app.keyaccounts.models import CadenceRule
from app.markets.models import Market, MarketStatus
from app.seminars.models import (
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
    Seminar,
    SeminarStatus,
    Speaker,
)
from app.service.demo import seed_service_demo
from app.visits import services as visit_services
from app.visits.models import MemberResponse, Purpose, Visit, VisitMember, VisitStatus

SEED = 20260127
DOMAIN = "grove.example.com"
TZ = ZoneInfo("Asia/Shanghai")
# Where the printed links point: `make run` passes the address it serves on (HOST and PORT).
DEFAULT_BASE_URL = "http://127.0.0.1:5000"

# One login per role; the extra staff own accounts and sit on visiting teams.
DEMO_USERS = [
    ("admin", "管理员 Admin", Role.ADMIN, []),
    ("manager", "王志远", Role.MANAGER, ["Wenzhou", "Wuxi"]),
    ("rep", "陈晓东", Role.REP, ["Wenzhou"]),
    ("expert", "刘建华", Role.EXPERT, ["Wenzhou", "Wuxi"]),
]
STAFF = [
    ("li.na", "李娜", Role.REP, ["Wenzhou"]),
    ("zhou.lei", "周磊", Role.MANAGER, ["Wuxi"]),
    ("wu.ting", "吴婷", Role.REP, ["Wuxi"]),
]

# Market name, status, goal, the words a member's name ends in, where its members sit,
# what they make, what machines they run, and the association that gathers them.
MARKETS = {
    "Wenzhou": [
        dict(name="眼镜", status=MarketStatus.BROKEN_THROUGH, goal=8, companies=70,
             words=["眼镜", "光学", "眼镜配件", "镜架", "镜业"],
             places=[("瓯海区", "温州市瓯海"), ("鹿城区", "温州市鹿城"), ("瓯海区", "温州市"), ("龙湾区", "温州")],
             streets=["娄桥工业园区古岸头路", "梧田街道南白象工业区", "新桥街道高翔工业区", "南郊街道茶山工业区"],
             products=["金属镜架", "TR90 板材镜架", "太阳镜", "钛架", "眼镜铰链", "镜片加工", "老花镜"],
             equipment=["数控车床", "自动抛光线", "真空电镀设备", "精密注塑机", "激光焊接机", "超声波清洗线"],
             association=("温州市眼镜商会", "瓯海区娄桥街道眼镜城 3 楼"),
             tags=["镜架焊接工艺", "电镀前处理", "精密注塑"]),
        dict(name="制笔", status=MarketStatus.BREAKING_IN, goal=6, companies=50,
             words=["制笔", "笔业", "文具", "笔业制造"],
             places=[("龙湾区", "温州市龙湾"), ("鹿城区", "温州"), ("瓯海区", "温州市")],
             streets=["蒲州街道滨海工业区", "状元街道横街工业区", "永中街道永强工业区"],
             products=["中性笔", "圆珠笔", "笔芯", "马克笔", "笔头", "水彩笔"],
             equipment=["笔头自动机", "注塑机", "装配流水线", "移印机", "墨水灌装机"],
             association=("温州制笔行业协会", "龙湾区永中街道行业大厦 5 楼"),
             tags=["笔头加工", "注塑模具"]),
        dict(name="包装", status=MarketStatus.BREAKING_IN, goal=6, companies=50,
             words=["包装", "印刷包装", "纸业包装", "塑料包装", "彩印"],
             places=[("龙港市", "龙港"), ("苍南县", "苍南"), ("平阳县", "平阳"), ("鹿城区", "温州市")],
             streets=["龙港镇印刷工业园", "灵溪镇江南工业区", "萧江镇塘川工业区", "双屿街道工业区"],
             products=["彩印纸盒", "瓦楞纸箱", "无纺布袋", "食品软包装", "礼品盒"],
             equipment=["胶印机", "模切机", "制袋机", "糊盒机", "分切机"],
             association=("温州市包装行业协会", "鹿城区车站大道 568 号"),
             tags=["印后设备", "软包装工艺"]),
        dict(name="电气电子", status=MarketStatus.BREAKING_IN, goal=6, companies=55,
             words=["电气", "电器", "电子", "开关", "电器科技"],
             places=[("乐清市", "乐清市"), ("乐清市", "温州"), ("龙湾区", "温州市龙湾")],
             streets=["柳市镇电器城", "北白象镇工业区", "经济开发区纬十二路", "翁垟街道工业区"],
             products=["低压断路器", "交流接触器", "继电器", "开关插座", "接线端子", "变频器"],
             equipment=["自动冲床", "注塑机", "SMT 贴片线", "自动装配机", "老化测试柜"],
             association=("温州市电气行业协会", "乐清市柳市镇电器城大厦 8 楼"),
             tags=["冲压自动化", "电器装配"]),
        dict(name="汽摩配", status=MarketStatus.UNTOUCHED, goal=5, companies=45,
             words=["汽车部件", "汽摩配件", "机车部件", "汽配", "制动器"],
             places=[("瑞安市", "瑞安市"), ("瑞安市", "温州"), ("平阳县", "平阳")],
             streets=["塘下镇汽摩配工业园", "上望街道新区", "经济开发区开发区大道", "鳌江镇工业区"],
             products=["刹车片", "制动总泵", "汽车传感器", "摩托车离合器", "汽车线束", "活塞"],
             equipment=["数控车床", "加工中心", "压铸机", "热处理炉", "自动化检测线"],
             association=("瑞安市汽摩配行业协会", "瑞安市塘下镇汽摩配大厦 2 楼"),
             tags=["精密加工", "压铸工艺"]),
    ],
    "Wuxi": [
        dict(name="电线电缆", status=MarketStatus.BREAKING_IN, goal=6, companies=35,
             words=["电缆", "线缆", "电线电缆", "电工材料"],
             places=[("宜兴市", "宜兴市"), ("锡山区", "无锡市锡山"), ("新吴区", "无锡")],
             streets=["官林镇电缆工业园", "东港镇工业园", "梅村街道工业区"],
             products=["电力电缆", "控制电缆", "光伏线缆", "架空导线", "漆包线"],
             equipment=["拉丝机", "挤塑机", "成缆机", "绞线机", "火花试验机"],
             association=("无锡市电线电缆行业协会", "梁溪区解放西路 8 号"),
             tags=["挤塑工艺", "线缆检测"]),
        dict(name="纺织服装", status=MarketStatus.UNTOUCHED, goal=5, companies=30,
             words=["纺织", "印染", "服饰", "针织"],
             places=[("江阴市", "江阴市"), ("锡山区", "无锡"), ("惠山区", "无锡市惠山")],
             streets=["周庄镇工业园", "东北塘街道工业区", "洛社镇工业集中区"],
             products=["针织面料", "色织布", "羊毛衫", "家纺布艺", "工装"],
             equipment=["剑杆织机", "圆机", "定型机", "染色机", "自动裁床"],
             association=("无锡市纺织服装行业协会", "滨湖区太湖新城金融一街 10 号"),
             tags=["印染节能"]),
        dict(name="汽车零部件", status=MarketStatus.BREAKING_IN, goal=6, companies=35,
             words=["汽车零部件", "精密机械", "汽车配件", "动力科技"],
             places=[("惠山区", "无锡市惠山"), ("新吴区", "无锡"), ("锡山区", "无锡市")],
             streets=["惠山经济开发区", "新吴区鸿山街道", "锡山经济技术开发区"],
             products=["燃油喷射系统", "涡轮增压器零件", "制动盘", "转向节", "新能源电机壳体"],
             equipment=["加工中心", "数控车床", "压铸岛", "激光切割机", "三坐标测量机"],
             association=("无锡市汽车零部件行业协会", "新吴区长江路 21 号"),
             tags=["精密加工", "压铸工艺"]),
    ],
}
CITY = {"Wenzhou": "温州", "Wuxi": "无锡"}  # the prefecture; counties and county-level cities are districts

BRANDS = ["华信", "宏达", "明月", "康华", "新光", "远东", "金鼎", "恒泰", "永盛", "瑞丰", "博远", "正和", "鸿运", "天成", "嘉诚", "信达", "立丰", "亚泰", "宝利", "华美", "中天", "东方", "海诚", "锦程", "长江", "百盛", "凯旋", "荣昌", "德胜", "兴隆", "万达", "隆兴", "精诚", "光大", "华丰", "安达", "新亚", "顺发", "金帝", "银河", "三星", "五洲", "九鼎", "富士达", "联创", "中兴", "科达", "威力", "捷成", "奥特", "宏丰", "鑫源", "聚源", "华鹰", "飞鹰", "金狮", "雄狮", "蓝天", "白鹭", "东海", "瓯江", "雁荡", "南洋", "北辰", "时代", "伟业", "创新", "博士", "精工", "明辉", "永兴", "大华", "通达", "泰和", "宏图", "鼎盛", "恒通", "汇通", "华越", "英特", "康明", "卓越", "金盾", "红日", "旭日", "晨光", "曙光", "远航", "天马", "骏马", "金马", "龙腾", "凤凰", "海鸥", "雄鹰", "新星", "中立", "国华", "兆丰", "耀华", "华东", "江南", "浙南", "瓯越", "宝达", "利达", "美达", "欧亚", "环球", "亚细亚", "万向", "万通", "万盛", "千禧", "百川", "川达", "汇丰", "博大", "长城", "金桥", "银桥", "立新", "惠民", "振华", "振兴", "兴华", "兴业", "嘉禾", "丰收", "大地", "通宇", "宇航", "星辰", "华宇", "金宇"]
SUFFIXES = ["有限公司"] * 7 + ["股份有限公司", "有限责任公司", "实业有限公司"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高郑罗梁谢宋唐许韩冯邓曹彭曾潘蔡叶金余池项")
GIVEN = ["建国", "志强", "海波", "晓东", "丽华", "国平", "建华", "伟", "敏", "静", "磊", "洋", "勇", "军", "杰", "涛", "明", "超", "秀英", "桂芳", "文斌", "小平", "永康", "海燕", "春梅", "立新", "振宇", "宏伟", "俊杰", "佳怡", "雪梅", "志华", "国庆", "红霞", "子豪", "浩然", "思远", "晨曦", "家豪", "益民"]
# Title, department, role tags, our line that ties to them.
TITLES = [
    ("总经理", "总经办", [ContactRole.DECISION_MAKER, ContactRole.MANAGEMENT], Line.MANAGEMENT),
    ("董事长", "董事会", [ContactRole.DECISION_MAKER], Line.MANAGEMENT),
    ("车间主任", "生产部", [ContactRole.NODE], Line.TECHNICAL),
    ("设备主管", "设备部", [ContactRole.NODE, ContactRole.TECHNICAL], Line.TECHNICAL),
    ("采购经理", "采购部", [ContactRole.PROCUREMENT], Line.BUSINESS),
    ("技术总监", "技术部", [ContactRole.TECHNICAL], Line.TECHNICAL),
    ("生产厂长", "生产部", [ContactRole.NODE, ContactRole.MANAGEMENT], Line.MANAGEMENT),
]
COMPETITORS = ["宁波海达机械", "东莞捷锐自动化", "台资鑫盛精机", "苏州精工装备", "日系进口设备", "本地小厂翻新机",
               "德资 K 公司", ""]
BACKGROUNDS = ["家族企业，二代接班，正在推进自动化改造。", "出口占比约六成，客户对交期和一致性要求高。",
               "去年新建厂房，计划两年内更新主要生产线。", "老板务实，重视售后响应速度，对价格敏感。",
               "设备以二手进口为主，维修成本高，有替换意向。", "协会理事单位，在行业内有话语权。", ""]
STAGE_WEIGHTS = [(Stage.PROSPECT, 48), (Stage.TARGET, 14), (Stage.ENGAGED, 12), (Stage.OPPORTUNITY, 8),
                 (Stage.WON, 6), (Stage.KEY_ACCOUNT, 6), (Stage.DORMANT, 6)]
BAND_EMPLOYEES = {RevenueBand.UNDER_10M: (20, 80), RevenueBand.FROM_10M_TO_50M: (60, 250),
                  RevenueBand.FROM_50M_TO_200M: (200, 800), RevenueBand.OVER_200M: (600, 3000)}


def base_url() -> str:
    """The address Grove is served at, from GROVE_BASE_URL (without a trailing slash)."""
    return (os.environ.get("GROVE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def seed_demo(if_empty: bool = False, echo: Callable[[str], None] = print) -> None:
    """Fill the demo regions once; a second run adds nothing and says so."""
    loaded = db.session.scalar(select(User).where(User.email == f"admin@{DOMAIN}")) is not None
    if loaded:
        echo("Demo data is already loaded: nothing added.")
        _echo_logins(echo, password=None)
        seminar = db.session.scalar(select(Seminar).where(Seminar.status == SeminarStatus.OPEN)
                                    .order_by(Seminar.starts_at, Seminar.id).limit(1))
        if seminar is not None:
            echo(f"Open seminar sign-up page: {base_url()}/s/{seminar.slug}")
        return
    if if_empty and db.session.scalar(select(func.count(User.id))):
        echo("The database already has users: demo data not loaded.")
        return
    password = os.environ.get("GROVE_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    # Demo rows are not a team's edits: skipping the audit hook keeps seeding fast and the log clean.
    db.session.info["skip_audit"] = True
    try:
        seminar = _Seeder(password).run()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop("skip_audit", None)
    _echo_logins(echo, password=password)
    echo(f"Open seminar sign-up page: {base_url()}/s/{seminar.slug}")


def _echo_logins(echo, password: str | None) -> None:
    echo("Demo logins:")
    for handle, name, role, regions in DEMO_USERS:
        echo(f"  {role.value:<8} {handle + '@' + DOMAIN:<26} {name} ({', '.join(regions) or 'all regions'})")
    echo(f"  other staff: {', '.join(f'{h}@{DOMAIN}' for h, *_ in STAFF)}")
    if password:
        echo(f"Password for every demo login: {password}")
    else:
        echo("The password was printed when the demo data was first loaded.")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Asia/Shanghai) wall-clock time as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


class _Seeder:
    def __init__(self, password: str):
        self.rng = random.Random(SEED)
        self.password = password
        self.today = datetime.now(TZ).date()
        self.users: dict[str, User] = {}
        self.region_staff: dict[str, dict[str, list[User]]] = {}
        self.experts: dict[str, list[Expert]] = {}
        self.head_office: Expert | None = None
        self.markets: dict[str, list[tuple[Market, dict]]] = {}
        self.associations: dict[int, Association] = {}
        self.companies: dict[str, list[Company]] = {}
        self.booked: set[tuple[str, date, int]] = set()
        self.phones: set[str] = set()

    def run(self) -> Seminar:
        regions = {name: get_or_create_region(name) for name in ("Wenzhou", "Wuxi")}
        for name, region in regions.items():
            region.name_zh = CITY[name]
        self._users(regions)
        for region_name, region in regions.items():
            self._cadence(region)
            self._markets(region_name, region)
            self._experts(region_name, region)
            self._companies(region_name, region)
        self._head_office_expert()
        db.session.flush()
        for region_name, region in regions.items():
            self._pipeline(region_name)
            self._visits(region_name, region)
        db.session.flush()
        self._escalations()
        seed_keeping(seed=SEED + 9, today=self.today, zone=TZ, regions=regions, companies=self.companies,
                     staff=self.region_staff, expert=self.users["expert"])
        seed_equipment_demo(seed=SEED + 10, today=self.today, regions=regions, companies=self.companies,
                            staff=self.region_staff)
        seed_service_demo(seed=SEED + 11, regions=regions, companies=self.companies, staff=self.region_staff)
        first_open = self._seminars(regions)
        # Held seminars and first visits spread over the quarters since each association was joined,
        # so each market's breakthrough funnel narrows step by step and its trend has a history.
        seed_funnel_demo(seed=SEED + 12, today=self.today, zone=TZ, markets=self.markets,
                         associations=self.associations, companies=self.companies)
        return first_open

    # People -----------------------------------------------------------------------------

    def _users(self, regions: dict[str, Region]) -> None:
        for handle, name, role, region_names in DEMO_USERS + STAFF:
            self.users[handle] = create_user(
                email=f"{handle}@{DOMAIN}", name=name, role=role, password=self.password,
                regions=[regions[r] for r in region_names])
        self.region_staff = {
            "Wenzhou": {"manager": [self.users["manager"]], "reps": [self.users["rep"], self.users["li.na"]]},
            "Wuxi": {"manager": [self.users["zhou.lei"], self.users["manager"]], "reps": [self.users["wu.ting"]]},
        }

    def _experts(self, region_name: str, region: Region) -> None:
        markets = self.markets[region_name]
        if region_name == "Wenzhou":
            people = [
                dict(markets=(0, 1), name="刘建华", organisation=Organisation.RND, title="研发中心 高级工程师", user=self.users["expert"],
                     email=f"expert@{DOMAIN}", max_visits_per_week=3),
                dict(markets=(1, 2), name="赵明", organisation=Organisation.PRODUCTION, title="生产中心 工艺主管", max_visits_per_week=2),
                dict(markets=(3, 4), name="孙丽", organisation=Organisation.MARKETING, title="营销中心 应用经理", max_visits_per_week=3),
                dict(markets=(0,), name="郑国强", organisation=Organisation.OUTSIDE, title="原眼镜商会技术顾问",
                     day_rate_cents=3_000_00, max_visits_per_week=2, notes="按天计费，需提前一周预约。"),
                dict(markets=(2,), name="钱文博", organisation=Organisation.OUTSIDE, title="包装印刷工艺顾问",
                     day_rate_cents=2_500_00, max_visits_per_week=1),
            ]
        else:
            people = [
                dict(markets=(0, 2), name="黄振宇", organisation=Organisation.RND, title="研发中心 工程师", max_visits_per_week=3),
                dict(markets=(0,), name="冯立新", organisation=Organisation.OUTSIDE, title="线缆行业高级工程师",
                     day_rate_cents=2_800_00, max_visits_per_week=2),
            ]
        experts = []
        for i, person in enumerate(people):
            phone = self._phone()
            first, *others = person.pop("markets")
            expert = Expert(region=region, phone=phone, **person)
            expert.tags = [ExpertTag(market=markets[first][0], tag=t) for t in markets[first][1]["tags"]]
            expert.tags += [ExpertTag(market=markets[k][0], tag=markets[k][1]["tags"][0]) for k in others]
            if i in (1, 3):
                start = self.today + timedelta(days=self.rng.randint(3, 12))
                expert.unavailable = [Unavailability(starts_on=start, ends_on=start + timedelta(days=4),
                                                     reason="出差" if i == 1 else "另有项目")]
            experts.append(expert)
        db.session.add_all(experts)
        self.experts[region_name] = experts

    def _head_office_expert(self) -> None:
        """One head-office expert serves both regions: a region requests, the expert confirms."""
        eyewear, cables = self.markets["Wenzhou"][0], self.markets["Wuxi"][0]
        self.head_office = Expert(
            region=None, name="高文杰", organisation=Organisation.RND, title="总部研发中心 首席工程师",
            phone=self._phone(), max_visits_per_week=2, notes="总部专家，跨大区预约需本人确认。",
            tags=[ExpertTag(market=eyewear[0], tag="整线自动化方案"), ExpertTag(market=cables[0], tag="整线自动化方案")])
        db.session.add(self.head_office)

    # Markets and associations ---------------------------------------------------------

    def _cadence(self, region: Region) -> None:
        existing = {r.tier for r in db.session.scalars(select(CadenceRule).where(CadenceRule.region_id == region.id))}
        db.session.add_all(CadenceRule.default(tier, region=region) for tier in Tier if tier not in existing)

    def _markets(self, region_name: str, region: Region) -> None:
        manager = self.region_staff[region_name]["manager"][0]
        reps = self.region_staff[region_name]["reps"]
        self.markets[region_name] = []
        statuses = [MembershipStatus.ACTIVE, MembershipStatus.ACTIVE, MembershipStatus.APPLIED,
                    MembershipStatus.ACTIVE, MembershipStatus.PROSPECT]
        for i, spec in enumerate(MARKETS[region_name]):
            market = Market(region=region, name=spec["name"], status=spec["status"], goal=spec["goal"],
                            owner=manager if i % 2 == 0 else reps[i % len(reps)],
                            notes=f"主要集中在{spec['places'][0][0]}，{spec['association'][0]}是切入点。")
            name, address = spec["association"]
            association = Association(
                region=region, name=name, address=address, markets=[market],
                contact_name=self._person(), contact_phone=f"0577-{self.rng.randint(55000000, 89999999)}"
                if region_name == "Wenzhou" else f"0510-{self.rng.randint(81000000, 88999999)}",
                website="", member_count=spec["companies"] + self.rng.randint(30, 160))
            status = statuses[i % len(statuses)]
            association.memberships = self._memberships(status, i, manager if i % 2 == 0 else reps[0])
            db.session.add_all([market, association])
            self.markets[region_name].append((market, spec))
            self.associations[id(market)] = association

    def _memberships(self, status: MembershipStatus, i: int, rep: User) -> list[Membership]:
        fee = self.rng.choice([3_000_00, 5_000_00, 8_000_00, 10_000_00])
        level = self.rng.choice(["会员单位", "理事单位", "副会长单位"])
        if status is MembershipStatus.ACTIVE:
            # Some active terms run out within 60 days, so renewals show up.
            expires = self.today + timedelta(days=self.rng.randint(10, 55) if i % 3 == 0 else self.rng.randint(120, 300))
            joined = expires - timedelta(days=365)
            terms = []
            if i == 0:
                # The first year's term, written before the current one: the latest term is the current one.
                terms.append(Membership(status=MembershipStatus.LAPSED, joined_on=joined - timedelta(days=365),
                                        expires_on=joined - timedelta(days=1), fee_cents=fee, level="会员单位",
                                        representative=rep, notes="第一年会员，已续入新一期。"))
            terms.append(Membership(status=status, joined_on=joined, expires_on=expires, fee_cents=fee, level=level,
                                    representative=rep))
            return terms
        if status is MembershipStatus.APPLIED:
            return [Membership(status=status, fee_cents=fee, level="会员单位", representative=rep,
                               notes=f"申请材料已于 {self.today - timedelta(days=12):%m-%d} 提交，等待理事会审议。")]
        return [Membership(status=status, fee_cents=fee, level="会员单位", representative=rep,
                           notes="会费不高，入会后可拿到会员名录。")]

    # Companies and contacts -----------------------------------------------------------

    def _companies(self, region_name: str, region: Region) -> None:
        taken = set(db.session.scalars(select(Company.name_key).where(Company.region_id == region.id)))
        staff = self.region_staff[region_name]
        owners = staff["reps"] * 3 + staff["manager"][:1]
        companies = []
        for market, spec in self.markets[region_name]:
            association = self.associations[id(market)]
            for n in range(spec["companies"]):
                district, prefix = self.rng.choice(spec["places"])
                for _attempt in range(50):
                    brand = self.rng.choice(BRANDS)
                    word = self.rng.choice(spec["words"])
                    name = f"{prefix}{brand}{word}{self.rng.choice(SUFFIXES)}"
                    if name_key(name) not in taken:
                        break
                taken.add(key := name_key(name))
                stage = self._stage(n, market)
                bands = list(RevenueBand)
                # Key accounts are the big customers of the playbook; the long tail is small.
                band = self.rng.choice(bands[2:] if stage in (Stage.KEY_ACCOUNT, Stage.WON) else
                                       bands[:3] if stage is Stage.PROSPECT else bands)
                created = datetime.now(TZ) - timedelta(days=self.rng.randint(30, 720), minutes=self.rng.randint(0, 600))
                company = Company(
                    region=region, name=name, name_key=key, short_name=f"{brand}{word}"[:80],
                    city=CITY[region_name], district=district,
                    address=f"{self.rng.choice(spec['streets'])}{self.rng.randint(1, 399)} 号",
                    employees=self.rng.randint(*BAND_EMPLOYEES[band]), revenue_band=band,
                    products="、".join(self.rng.sample(spec["products"], 2)),
                    equipment="、".join(self.rng.sample(spec["equipment"], 3)),
                    competitor=self.rng.choice(COMPETITORS), background=self.rng.choice(BACKGROUNDS),
                    stage=stage, score=self.rng.randint(10, 95) if stage is not Stage.PROSPECT else self.rng.randint(0, 60),
                    owner=None if stage is Stage.PROSPECT and n % 3 else self.rng.choice(owners),
                    markets=[market], associations=[] if n % 5 == 4 else [association],
                    created_at=created, updated_at=created + timedelta(days=self.rng.randint(0, 29)))
                if stage is Stage.KEY_ACCOUNT:
                    company.tier = [Tier.A, Tier.B, Tier.C][n % 3]
                company.contacts = self._contacts(company, staff)
                companies.append(company)
        db.session.add_all(companies)
        self.companies[region_name] = companies

    def _stage(self, n: int, market: Market) -> Stage:
        if market.status is MarketStatus.UNTOUCHED:
            return Stage.PROSPECT if n % 9 else Stage.TARGET
        if market.status is MarketStatus.BROKEN_THROUGH and n < 3:
            return Stage.KEY_ACCOUNT  # the 2-3 key accounts that broke the market open
        stages, weights = zip(*STAGE_WEIGHTS)
        return self.rng.choices(stages, weights)[0]

    def _contacts(self, company: Company, staff: dict[str, list[User]]) -> list[Contact]:
        count = 1 if company.stage in (Stage.PROSPECT, Stage.DORMANT) and self.rng.random() < 0.6 \
            else self.rng.randint(2, 4)
        titles = [TITLES[0]] + self.rng.sample(TITLES[1:], count - 1)
        known = company.stage not in (Stage.PROSPECT, Stage.DORMANT)
        holder_for = {Line.BUSINESS: self.rng.choice(staff["reps"]), Line.MANAGEMENT: staff["manager"][0],
                      Line.TECHNICAL: self.users["expert"]}
        contacts = []
        for i, (title, department, roles, line) in enumerate(titles):
            roles = list(roles)
            if known and i == 0 and company.stage in (Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT) or known and title in ("车间主任", "设备主管") and self.rng.random() < 0.4:
                roles.append(ContactRole.KEY_PERSON)
            # A missing line on a known account is what the stakeholder map should point out.
            tied = known and not (line is Line.TECHNICAL and self.rng.random() < 0.3)
            contact = Contact(
                name=self._person(), title=title, department=department, phone=self._phone(),
                wechat=f"wx_{self.rng.randint(10**6, 10**8)}" if self.rng.random() < 0.5 else "",
                line=line if tied else None, holder=holder_for[line] if tied else None,
                strength=self.rng.randint(2, 5) if tied else (self.rng.randint(1, 2) if known else None),
                last_contact_on=self.today - timedelta(days=self.rng.randint(3, 120)) if known else None)
            contact.roles = roles
            contacts.append(contact)
        return contacts

    def _person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def _phone(self) -> str:
        while True:
            phone = f"1{self.rng.choice('35')}{self.rng.randint(0, 9)}{self.rng.randint(0, 99999999):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    # Opportunities, orders and visits --------------------------------------------------

    def _pipeline(self, region_name: str) -> None:
        big_order_done = False
        for company in self.companies[region_name]:
            if company.stage is Stage.OPPORTUNITY:
                stage = self.rng.choice([OpportunityStage.SPOTTED, OpportunityStage.QUALIFYING,
                                         OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION])
                self._opportunity(company, stage, self.today + timedelta(days=self.rng.randint(10, 120)))
                if self.rng.random() < 0.25:
                    self._opportunity(company, OpportunityStage.LOST, self.today - timedelta(days=self.rng.randint(30, 200)))
            elif company.stage in (Stage.WON, Stage.KEY_ACCOUNT):
                orders = 1 if company.stage is Stage.WON else self.rng.randint(2, 4)
                for k in range(orders):
                    day = self.today - timedelta(days=self.rng.randint(20, 600) if k else self.rng.randint(15, 200))
                    opp = self._opportunity(company, OpportunityStage.WON, day)
                    amount = opp.value_cents
                    if company.stage is Stage.KEY_ACCOUNT and not big_order_done:
                        # Case A: the escalated visits end in a 3M+ CNY order.
                        amount = opp.value_cents = 3_260_000_00
                        big_order_done = True
                    company.orders.append(Order(opportunity=opp, amount_cents=amount, ordered_on=day,
                                                description=opp.title))
                if company.stage is Stage.KEY_ACCOUNT and self.rng.random() < 0.5:
                    self._opportunity(company, OpportunityStage.PROPOSAL, self.today + timedelta(days=self.rng.randint(20, 90)))
            elif company.stage is Stage.ENGAGED and self.rng.random() < 0.3:
                self._opportunity(company, OpportunityStage.SPOTTED, self.today + timedelta(days=self.rng.randint(60, 180)))

    def _opportunity(self, company: Company, stage: OpportunityStage, decision_on: date) -> Opportunity:
        equipment = company.equipment.split("、")[0]
        units = self.rng.randint(1, 8)
        title = f"{equipment} {units} 台{self.rng.choice(['更新', '扩产', '替换进口', '新线配套'])}"
        value = self.rng.choice([180_000, 260_000, 350_000, 480_000, 650_000, 900_000, 1_200_000, 1_800_000]) * 100
        opp = Opportunity(title=title, value_cents=value, stage=stage, expected_decision_on=decision_on,
                          owner=company.owner)
        company.opportunities.append(opp)
        return opp

    def _visits(self, region_name: str, region: Region) -> None:
        staff = self.region_staff[region_name]
        visits = []
        for company in self.companies[region_name]:
            if company.stage in (Stage.PROSPECT, Stage.DORMANT):
                count = 1 if self.rng.random() < 0.08 else 0
            elif company.stage is Stage.TARGET:
                count = self.rng.randint(0, 2)
            else:
                count = self.rng.randint(2, 5)
            open_opp = next((o for o in company.opportunities
                             if o.stage not in (OpportunityStage.WON, OpportunityStage.LOST)), None)
            for k in range(count):
                future = k == count - 1 and self.rng.random() < 0.35
                day = self.today + timedelta(days=self.rng.randint(1, 21)) if future \
                    else self.today - timedelta(days=self.rng.randint(2, 150))
                visits.append(self._visit(region_name, region, company, day, staff, open_opp, future))
        db.session.add_all(v for v in visits if v is not None)

    def _visit(self, region_name, region, company, day, staff, opp, future) -> Visit | None:
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday()) if future else -timedelta(days=day.weekday() - 4)
        if company.stage is Stage.KEY_ACCOUNT:
            purpose = Purpose.KEY_ACCOUNT_CARE
        elif opp is not None and self.rng.random() < 0.6:
            purpose = Purpose.OPPORTUNITY
        else:
            purpose = self.rng.choice([Purpose.INTRODUCTION, Purpose.RELATIONSHIP, Purpose.TECHNICAL_CONSULTING])
        level = {Purpose.INTRODUCTION: 1, Purpose.RELATIONSHIP: self.rng.choice([1, 2]),
                 Purpose.TECHNICAL_CONSULTING: 3, Purpose.KEY_ACCOUNT_CARE: self.rng.choice([1, 2, 2, 3]),
                 Purpose.OPPORTUNITY: 2}[purpose]
        if purpose is Purpose.OPPORTUNITY and opp.stage in (OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION):
            # Case A: a live purchase raises the visitors' level; a few still wait for the escalation.
            level = self.rng.choices([2, 3, 4], [3, 5, 2 if opp.stage is OpportunityStage.NEGOTIATION else 0])[0]
        lead = company.owner or self.rng.choice(staff["reps"])
        team_users = [lead]
        if level >= 2 and staff["manager"][0] is not lead:
            team_users.append(staff["manager"][0])
        team_experts = self._experts_for(region_name, company.markets[0])[:1] if level >= 3 else []
        if level == 4 and self.head_office is not None:
            team_experts.append(self.head_office)
        slot = self._free_slot(day, [u.email for u in team_users] + [e.name for e in team_experts])
        if slot is None:
            return None
        hour, minute = (9, 14)[slot], self.rng.choice([0, 30])
        status = (self.rng.choice([VisitStatus.PLANNED, VisitStatus.CONFIRMED]) if future
                  else (VisitStatus.CANCELLED if self.rng.random() < 0.07 else VisitStatus.DONE))
        visit = Visit(
            region=region, company=company, starts_at=_at(day, hour, minute), ends_at=_at(day, hour + 2, minute),
            place=f"{company.district}{company.address}", purpose=purpose, level=level, status=status,
            opportunity=opp if purpose is Purpose.OPPORTUNITY else None, created_by_id=lead.id,
            agenda=AGENDAS[purpose],
            outcome=self.rng.choice(OUTCOMES[purpose]) if status is VisitStatus.DONE else "",
            next_steps=self.rng.choice(NEXT_STEPS) if status is VisitStatus.DONE else "",
            members=[VisitMember(user=u, is_lead=u is lead) for u in team_users]
            + [VisitMember(expert=e, response=self._answer(e, future)) for e in team_experts])
        if status is VisitStatus.DONE:
            visit.contacts_met = self.rng.sample(company.contacts, min(len(company.contacts), self.rng.randint(1, 2)))
        return visit

    def _answer(self, expert: Expert, future: bool) -> MemberResponse | None:
        if expert.region is not None:
            return None
        return self.rng.choice([MemberResponse.REQUESTED, MemberResponse.CONFIRMED]) if future \
            else MemberResponse.CONFIRMED

    def _escalations(self) -> None:
        """Open opportunities at proposal or above (or worth a lot) that no senior visit has met yet."""
        for companies in self.companies.values():
            proposed = 0
            for opp in (o for c in companies for o in c.opportunities):
                if proposed < 3 and visit_services.propose_escalation(opp) is not None:
                    proposed += 1

    def _experts_for(self, region_name: str, market: Market) -> list[Expert]:
        """The region's experts in a random order, those with expertise in the market first."""
        experts = self.rng.sample(self.experts[region_name], len(self.experts[region_name]))
        return sorted(experts, key=lambda e: not any(t.market is market for t in e.tags))

    def _free_slot(self, day: date, people: list[str]) -> int | None:
        for slot in self.rng.sample([0, 1], 2):
            if not any((p, day, slot) in self.booked for p in people):
                self.booked.update((p, day, slot) for p in people)
                return slot
        return None

    # Seminars --------------------------------------------------------------------------

    def _seminars(self, regions: dict[str, Region]) -> Seminar:
        plans = [
            # region, market index, days from today, capacity, registrations wanted, title
            ("Wenzhou", 0, -120, 60, 48, "眼镜架自动化焊接与抛光技术交流会"),
            ("Wenzhou", 0, -45, 80, 64, "眼镜行业智能制造与降本增效讲座"),
            ("Wenzhou", 1, -70, 40, 31, "笔头精密加工与注塑模具技术讲座"),
            ("Wenzhou", 2, -30, 50, 37, "包装印后设备选型与工艺优化"),
            ("Wuxi", 0, -60, 50, 35, "电线电缆挤塑工艺与在线检测技术讲座"),
            ("Wenzhou", 0, 12, 60, 22, "高端镜架电镀与表面处理新工艺"),
            ("Wenzhou", 3, 18, 30, 28, "低压电器自动化装配技术讲座"),
            ("Wenzhou", 1, 9, 20, 23, "制笔行业自动化装配线现场交流会"),
            ("Wuxi", 2, 25, 40, 12, "新能源汽车零部件精密加工研讨会"),
            ("Wenzhou", 4, 40, 50, 0, "汽摩配压铸工艺与质量控制讲座"),
        ]
        slugs: set[str] = set(db.session.scalars(select(Seminar.slug)))
        first_open = None
        for region_name, market_index, offset, capacity, wanted, title in plans:
            market, spec = self.markets[region_name][market_index]
            association = self.associations[id(market)]
            day = self.today + timedelta(days=offset)
            if day.weekday() >= 5:
                day += timedelta(days=7 - day.weekday())
            past = offset < 0
            status = SeminarStatus.HELD if past else (SeminarStatus.DRAFT if wanted == 0 else SeminarStatus.OPEN)
            seminar = Seminar(
                region=regions[region_name], market=market, association=association, title=title,
                abstract=f"面向{market.name}行业会员企业的技术讲座：{spec['tags'][0]}的最新做法、典型案例与现场答疑。"
                         f"由{association.name}主办，本公司技术团队与行业专家主讲，会后可预约上门技术咨询。",
                venue=f"{association.name}会议室", address=association.address,
                starts_at=_at(day, 14), ends_at=_at(day, 17), capacity=capacity,
                signup_opens_at=_at(day - timedelta(days=30), 9), signup_closes_at=_at(day - timedelta(days=1), 18),
                status=status, slug=self._slug(slugs))
            chosen = self._experts_for(region_name, market)[:2]
            seminar.speakers = [Speaker(expert=e, talk_title=f"{t}实践分享", position=i)
                                for i, (e, t) in enumerate(zip(chosen, spec["tags"] * 2))]
            seminar.registrations = self._registrations(region_name, market, seminar, wanted, past)
            if not past:
                seminar.questions = [Question(
                    label="您最关心的话题", kind=QuestionKind.CHOICE, position=0,
                    choices="\n".join([*spec["tags"], "设备选型", "降本增效"]))]
            db.session.add(seminar)
            if status is SeminarStatus.OPEN and first_open is None:
                first_open = seminar
        return first_open

    def _slug(self, taken: set[str]) -> str:
        alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
        while (slug := "".join(self.rng.choice(alphabet) for _ in range(8))) in taken:
            pass
        taken.add(slug)
        return slug

    def _registrations(self, region_name, market, seminar, wanted, past) -> list[Registration]:
        members = [c for c in self.companies[region_name] if market in c.markets]
        now = datetime.now(TZ)
        seen: set[str] = set()
        registrations = []
        for n in range(wanted):
            contact = None
            if self.rng.random() < 0.75:
                company = self.rng.choice(members)
                contact = self.rng.choice(company.contacts)
            if contact is not None and contact.phone not in seen:
                # People type their company's name as they say it, not as registered.
                typed = self.rng.choice([company.name, company.short_name, f"{company.city}{company.short_name}"])
                name, title, phone = contact.name, contact.title, contact.phone
                matched = past and self.rng.random() < 0.7
            else:
                company = contact = None
                typed = f"{self.rng.choice(BRANDS)}{market.name}厂"
                name, title, phone, matched = self._person(), self.rng.choice(TITLES)[0], self._phone(), False
            seen.add(phone)
            if past:
                status = RegistrationStatus.ATTENDED if self.rng.random() < 0.78 else RegistrationStatus.NO_SHOW
            elif n >= seminar.capacity:
                status = RegistrationStatus.WAITLISTED
            elif n % 11 == 10 and wanted <= seminar.capacity:
                # A cancellation frees a seat; with a waiting list it would have been refilled.
                status = RegistrationStatus.CANCELLED
            else:
                status = RegistrationStatus.CONFIRMED
            signed_up = min(seminar.signup_opens_at + timedelta(hours=self.rng.randint(1, 500)),
                            now - timedelta(minutes=self.rng.randint(5, 600)))
            registrations.append(Registration(
                name=name, company_name=typed, title=title, phone=phone,
                email=f"{phone}@139.com" if self.rng.random() < 0.6 else None,
                status=status, cancel_token=secrets.token_urlsafe(24), consent=True,
                waitlist_position=n - seminar.capacity + 1 if status is RegistrationStatus.WAITLISTED else None,
                checked_in_at=seminar.starts_at - timedelta(minutes=self.rng.randint(0, 25))
                if status is RegistrationStatus.ATTENDED else None,
                company=company if matched else None, contact=contact if matched else None,
                created_at=signed_up))
        return registrations


AGENDAS = {
    Purpose.INTRODUCTION: "介绍公司与设备方案，了解客户生产现状和设备构成。",
    Purpose.RELATIONSHIP: "例行拜访，交流行业动态，维护关系。",
    Purpose.TECHNICAL_CONSULTING: "专家上门技术咨询：现场诊断生产线瓶颈，给出改进建议。",
    Purpose.OPPORTUNITY: "围绕采购机会沟通方案、报价与交期。",
    Purpose.KEY_ACCOUNT_CARE: "大客户例行回访：设备运行情况、备件安全库存、培训需求。",
}
OUTCOMES = {
    Purpose.INTRODUCTION: ["对自动化改造有兴趣，约定下次带技术人员来。", "老板不在，见到车间主任，留下资料。"],
    Purpose.RELATIONSHIP: ["关系良好，透露明年有扩产计划。", "采购经理更换，需重新建立联系。"],
    Purpose.TECHNICAL_CONSULTING: ["专家指出抛光工序良率偏低的原因，客户认可。", "现场演示参数优化，设备主管要求出书面方案。"],
    Purpose.OPPORTUNITY: ["客户要求两周内提交正式报价。", "竞争对手报价更低，需要高层介入。", "方案基本认可，进入商务谈判。"],
    Purpose.KEY_ACCOUNT_CARE: ["设备运行稳定，备件库存充足。", "提出操作工培训需求，安排下月培训。"],
}
NEXT_STEPS = ["一周内发送方案和报价", "安排专家上门技术咨询", "邀请参加下一场技术讲座", "请大区经理一同拜访",
              "跟进备件库存", "约总经理面谈"]
