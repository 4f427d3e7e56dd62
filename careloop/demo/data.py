"""Word lists for the demo data: names, places, industries, catalogue and text fragments.

The demo company sells household water and air appliances to consumers (B2C) and commercial
equipment with installation and maintenance to businesses (B2B). Everything here is plain data;
`careloop.demo.generator` draws from it with one seeded random generator.
"""

from __future__ import annotations

from datetime import date

# Common surnames, weighted roughly by frequency (the top 100 cover most of China).
SURNAMES: list[tuple[str, float]] = [
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 4.5),
    ("杨", 3.1),
    ("黄", 2.4),
    ("赵", 2.3),
    ("吴", 2.1),
    ("周", 2.1),
    ("徐", 1.7),
    ("孙", 1.5),
    ("马", 1.5),
    ("朱", 1.3),
    ("胡", 1.3),
    ("郭", 1.2),
    ("何", 1.2),
    ("高", 1.1),
    ("林", 1.1),
    ("罗", 1.0),
    ("郑", 1.0),
    ("梁", 0.9),
    ("谢", 0.8),
    ("宋", 0.8),
    ("唐", 0.8),
    ("许", 0.7),
    ("韩", 0.7),
    ("冯", 0.7),
    ("邓", 0.7),
    ("曹", 0.7),
    ("彭", 0.6),
    ("曾", 0.6),
    ("肖", 0.6),
    ("田", 0.6),
    ("董", 0.5),
    ("袁", 0.5),
    ("潘", 0.5),
    ("于", 0.5),
    ("蒋", 0.5),
    ("蔡", 0.5),
    ("余", 0.5),
    ("杜", 0.5),
    ("叶", 0.5),
    ("程", 0.5),
    ("苏", 0.4),
    ("魏", 0.4),
    ("吕", 0.4),
    ("丁", 0.4),
    ("任", 0.4),
    ("沈", 0.4),
    ("姚", 0.4),
    ("卢", 0.4),
    ("姜", 0.4),
    ("崔", 0.3),
    ("钟", 0.3),
    ("谭", 0.3),
    ("陆", 0.3),
    ("汪", 0.3),
    ("范", 0.3),
    ("金", 0.3),
    ("石", 0.3),
    ("廖", 0.3),
    ("贾", 0.3),
    ("夏", 0.3),
    ("韦", 0.3),
    ("方", 0.3),
    ("白", 0.3),
    ("邹", 0.3),
    ("孟", 0.3),
    ("熊", 0.3),
    ("秦", 0.3),
    ("邱", 0.3),
    ("江", 0.3),
    ("尹", 0.2),
    ("薛", 0.2),
    ("闫", 0.2),
    ("段", 0.2),
    ("雷", 0.2),
    ("侯", 0.2),
    ("龙", 0.2),
    ("史", 0.2),
    ("陶", 0.2),
    ("黎", 0.2),
    ("贺", 0.2),
    ("顾", 0.2),
    ("毛", 0.2),
    ("郝", 0.2),
    ("龚", 0.2),
    ("邵", 0.2),
    ("万", 0.2),
    ("钱", 0.2),
    ("严", 0.2),
    ("武", 0.2),
    ("戴", 0.2),
    ("莫", 0.2),
    ("孔", 0.2),
    ("汤", 0.2),
    ("欧阳", 0.05),
    ("司马", 0.02),
    ("诸葛", 0.01),
    ("上官", 0.01),
]

# Characters for given names; a given name is one or two of them, so the gender reads from it.
GIVEN_MALE = list(
    "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林峰建国志文博晨阳昊然轩泽睿诚毅豪"
    "东亮兵海松立新永成荣春德胜"
)
GIVEN_FEMALE = list(
    "芳娜敏静丽艳娟霞秀玲燕婷雪琳慧莉倩颖洁晶欣悦怡佳蕾萍红梅琴云薇璐瑶涵诗雨梦婧露月丹桂兰凤"
)

# Region groups -> provinces (short names) with weights -> real cities (first is the largest).
REGION_GROUPS: dict[str, tuple[float, list[tuple[str, float, list[str]]]]] = {
    "华东": (
        0.42,
        [
            ("上海", 3.0, ["上海"]),
            ("浙江", 3.0, ["杭州", "宁波", "温州", "绍兴", "嘉兴", "金华", "台州", "湖州"]),
            ("江苏", 3.2, ["南京", "苏州", "无锡", "常州", "南通", "徐州", "扬州"]),
            ("山东", 2.2, ["济南", "青岛", "烟台", "潍坊", "临沂"]),
            ("安徽", 1.2, ["合肥", "芜湖", "马鞍山"]),
            ("福建", 1.4, ["福州", "厦门", "泉州"]),
            ("江西", 0.8, ["南昌", "赣州", "九江"]),
        ],
    ),
    "华南": (
        0.26,
        [
            ("广东", 5.0, ["广州", "深圳", "东莞", "佛山", "珠海", "中山", "惠州", "汕头"]),
            ("广西", 1.0, ["南宁", "柳州", "桂林"]),
            ("海南", 0.4, ["海口", "三亚"]),
        ],
    ),
    "华北": (
        0.10,
        [
            ("北京", 2.5, ["北京"]),
            ("天津", 1.2, ["天津"]),
            ("河北", 1.2, ["石家庄", "唐山", "保定"]),
            ("山西", 0.6, ["太原", "大同"]),
            ("内蒙古", 0.4, ["呼和浩特", "包头"]),
        ],
    ),
    "华中": (
        0.09,
        [
            ("湖北", 1.5, ["武汉", "宜昌", "襄阳"]),
            ("湖南", 1.3, ["长沙", "株洲", "岳阳"]),
            ("河南", 1.4, ["郑州", "洛阳", "新乡"]),
        ],
    ),
    "西南": (
        0.07,
        [
            ("四川", 1.8, ["成都", "绵阳", "宜宾"]),
            ("重庆", 1.2, ["重庆"]),
            ("云南", 0.6, ["昆明", "大理"]),
            ("贵州", 0.5, ["贵阳", "遵义"]),
        ],
    ),
    "东北": (
        0.03,
        [
            ("辽宁", 1.2, ["沈阳", "大连"]),
            ("吉林", 0.6, ["长春", "吉林"]),
            ("黑龙江", 0.7, ["哈尔滨", "大庆"]),
        ],
    ),
    "西北": (
        0.03,
        [
            ("陕西", 1.3, ["西安", "宝鸡"]),
            ("甘肃", 0.5, ["兰州"]),
            ("新疆", 0.5, ["乌鲁木齐"]),
            ("宁夏", 0.3, ["银川"]),
        ],
    ),
}

# Region group -> team code; each team serves neighbouring regions.
TEAMS = [
    ("east", "华东一组", "华东"),
    ("south", "华南一组", "华南"),
    ("north", "华北一组", "华北"),
]
TEAM_OF_GROUP = {
    "华东": "east",
    "华中": "east",
    "华南": "south",
    "西南": "south",
    "华北": "north",
    "东北": "north",
    "西北": "north",
}

# Occupational industries for consumers (often left blank).
CONSUMER_INDUSTRIES = [
    "互联网",
    "教育",
    "金融",
    "医疗",
    "制造业",
    "政府机关",
    "零售",
    "自由职业",
    "建筑",
    "服务业",
]

# The consumer catalogue: category -> [(product, list price)].
CONSUMER_CATALOGUE: dict[str, list[tuple[str, int]]] = {
    "净水设备": [
        ("厨下RO净水器 600G", 2999),
        ("台式免安装净饮机", 1599),
        ("全屋前置过滤器", 899),
        ("净水器滤芯套装", 399),
    ],
    "空气净化": [
        ("空气净化器 KJ500", 2299),
        ("壁挂新风机", 3999),
        ("家用除湿机 20L", 1499),
        ("净化器复合滤网", 299),
    ],
    "厨房电器": [
        ("嵌入式洗碗机 13套", 4299),
        ("破壁料理机", 899),
        ("空气炸锅 5.5L", 459),
        ("IH电饭煲 4L", 799),
        ("蒸烤一体机", 3899),
    ],
    "生活电器": [
        ("扫地机器人 X7", 2699),
        ("无线吸尘器", 1999),
        ("蒸汽挂烫机", 399),
        ("声波电动牙刷", 299),
    ],
    "延保服务": [("家电延保服务 2年", 199), ("上门深度清洗服务", 259)],
}

# Business industries -> (company-name suffixes, [(category, product, list price)]).
BUSINESS_INDUSTRIES: dict[str, tuple[list[str], list[tuple[str, str, int]]]] = {
    "餐饮": (
        ["餐饮管理有限公司", "餐饮连锁有限公司"],
        [
            ("商用厨房设备", "商用洗碗机 揭盖式", 28000),
            ("商用净水", "商用净水系统 1T/h", 12800),
            ("商用厨房设备", "油烟净化器", 8600),
            ("耗材配件", "商用滤芯耗材年包", 3600),
            ("维保服务", "年度维保服务", 4800),
        ],
    ),
    "酒店": (
        ["酒店管理有限公司", "酒店有限公司"],
        [
            ("商用净水", "客房净饮机（批量）", 16000),
            ("新风系统", "中央新风系统", 86000),
            ("商用厨房设备", "商用洗碗机 通道式", 56000),
            ("维保服务", "年度维保服务", 9800),
        ],
    ),
    "医疗健康": (
        ["医疗科技有限公司", "健康管理有限公司", "口腔门诊部有限公司"],
        [
            ("医用设备", "医用空气消毒机", 16800),
            ("商用净水", "医用纯水设备", 45000),
            ("耗材配件", "消毒机滤网耗材", 2400),
            ("维保服务", "设备巡检服务", 6000),
        ],
    ),
    "教育培训": (
        ["教育科技有限公司", "培训学校有限公司"],
        [
            ("新风系统", "教室新风系统", 32000),
            ("商用净水", "校园直饮水机", 7800),
            ("空气净化", "空气净化器（批量）", 18000),
            ("维保服务", "滤芯更换服务", 3200),
        ],
    ),
    "机械制造": (
        ["机械有限公司", "精密机械制造有限公司", "机械设备有限公司"],
        [
            ("工业设备", "工业除湿机 90L", 18000),
            ("工业设备", "车间空气净化系统", 96000),
            ("商用净水", "工业纯水设备", 68000),
            ("维保服务", "设备年度保养", 12000),
        ],
    ),
    "电子制造": (
        ["电子科技有限公司", "电子有限公司"],
        [
            ("工业设备", "无尘车间新风机组", 120000),
            ("工业设备", "恒湿除湿系统", 42000),
            ("耗材配件", "高效过滤器 H13", 5200),
            ("维保服务", "洁净度检测服务", 8000),
        ],
    ),
    "物流仓储": (
        ["物流有限公司", "供应链管理有限公司"],
        [
            ("工业设备", "仓储除湿机", 9800),
            ("工业设备", "仓储环境监测系统", 26000),
            ("维保服务", "设备年度保养", 6000),
        ],
    ),
    "零售连锁": (
        ["商贸有限公司", "超市连锁有限公司"],
        [
            ("商用净水", "门店净水器", 5600),
            ("空气净化", "门店空气净化器", 7200),
            ("维保服务", "门店设备维保", 3800),
        ],
    ),
    "物业服务": (
        ["物业服务有限公司", "物业管理有限公司"],
        [
            ("商用净水", "楼宇直饮水系统", 58000),
            ("新风系统", "大堂新风工程", 76000),
            ("维保服务", "物业设备托管服务", 15000),
        ],
    ),
    "信息技术": (
        ["信息技术有限公司", "网络科技有限公司", "软件有限公司"],
        [
            ("商用净水", "办公室净饮机", 4200),
            ("空气净化", "办公空气净化器（批量）", 12600),
            ("维保服务", "办公设备托管服务", 5600),
        ],
    ),
    "食品加工": (
        ["食品有限公司", "食品科技有限公司"],
        [
            ("商用净水", "食品级纯水设备", 88000),
            ("工业设备", "车间除湿系统", 36000),
            ("维保服务", "水质检测与保养", 7600),
        ],
    ),
}

# Company name cores (字号) — ordinary made-up names.
# fmt: off
COMPANY_CORES = [
    "恒达", "鑫源", "华宇", "宏远", "金泰", "瑞丰", "永盛", "天成", "博越", "嘉禾", "中联", "新锐",
    "汇通", "盛世", "同创", "万嘉", "德信", "安泰", "海辰", "卓越", "启航", "锦程", "鼎盛", "云帆",
    "众合", "佳联", "华腾", "峰源", "思远", "润泽", "明辉", "长丰", "兴业", "和泰", "信诚", "远航",
    "宏图", "聚丰", "东升", "福瑞", "通达", "荣昌", "美佳", "恒通", "凯旋", "金桥", "新纪元",
    "大华", "益康", "百川", "伟业", "诚信", "昌隆", "天润", "嘉信", "正和", "睿达",
]
# fmt: on

CONSUMER_CHANNELS = [("天猫", 0.33), ("京东", 0.30), ("线下门店", 0.22), ("官网", 0.15)]
BUSINESS_CHANNELS = [("企业采购", 0.70), ("线下门店", 0.10), ("官网", 0.10), ("京东", 0.10)]

EMAIL_DOMAINS = [("qq.com", 0.4), ("163.com", 0.25), ("126.com", 0.1), ("sina.com", 0.05),
                 ("outlook.com", 0.1), ("gmail.com", 0.05), ("foxmail.com", 0.05)]  # fmt: skip

# China's valid mobile prefixes (three digits), weighted towards the common ones.
MOBILE_PREFIXES = (
    [f"13{d}" for d in range(10)] * 3
    + ["150", "151", "152", "153", "155", "156", "157", "158", "159"] * 2
    + ["180", "181", "182", "183", "184", "185", "186", "187", "188", "189"] * 2
    + ["145", "147", "166", "173", "175", "176", "177", "178", "191", "193", "195", "198", "199"]
)

TAG_VIP = "VIP"
TAG_FREQUENT = "高频购买"
TAG_PROMO = "关注促销"
TAG_PRICE = "价格敏感"
TAG_BUSINESS = "企业客户"
TAG_LOYAL = "老客户"
TAG_ONLINE = "线上客户"
TAG_STORE = "门店客户"
TAG_BIRTHDAY = "生日会员"
TAG_DEALER = "渠道代理"
TAG_WATCH = "重点关注"
DEMO_TAGS = [
    TAG_VIP, TAG_FREQUENT, TAG_PROMO, TAG_PRICE, TAG_BUSINESS, TAG_LOYAL, TAG_ONLINE, TAG_STORE,
    TAG_BIRTHDAY, TAG_DEALER, TAG_WATCH,
]  # fmt: skip

# 春节 (Chinese New Year) by year; orders peak in the weeks before it.
SPRING_FESTIVAL = {
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
}

# --- Text fragments. Texts are composed from several parts so that they vary. ---

COMPLAINT_CATEGORIES = ["物流延误", "质量问题", "售后服务", "价格争议", "安装调试", "服务态度"]
COMPLAINT_CHANNELS = [("电话", 0.4), ("在线客服", 0.25), ("微信", 0.15), ("邮件", 0.05),
                      ("12315转办", 0.05), ("门店", 0.1)]  # fmt: skip

COMPLAINT_OPENINGS = [
    "{month}月{day}日在{channel}买的{product}，",
    "我{days}天前下单的{product}，",
    "上个月买的{product}，",
    "订单{order}的{product}，",
    "你们家的{product}，",
]
COMPLAINT_OPENINGS_B2B = [
    "我们公司{month}月采购的{qty}台{product}，",
    "我司订单{order}（{product}），",
    "{month}月{day}日签收的{product}，",
    "我们门店用的{product}，",
]
COMPLAINT_DETAILS = {
    "物流延误": [
        "到现在还没发货",
        "物流显示已签收但我根本没收到",
        "快递在中转站停了五天不动",
        "说好48小时送达，结果拖了一个多星期",
        "送货司机不送上楼，让我自己去楼下搬",
    ],
    "质量问题": [
        "用了不到{n}个月就坏了",
        "开机就报E{code}故障",
        "漏水严重，把地板都泡了",
        "噪音特别大，晚上根本没法睡",
        "出水有一股异味",
        "外壳有裂缝，明显是旧机翻新",
    ],
    "售后服务": [
        "报修{n}次了一直没人上门",
        "客服说会回电，等了三天没人理",
        "维修师傅迟到两个小时",
        "换了一个配件收了{amount}元，也没有说明",
        "售后电话一直占线打不进去",
    ],
    "价格争议": [
        "刚买完就降价{n}百元，要求补差价被拒绝",
        "活动页写的赠品一直没给",
        "发票金额和实际付款对不上",
        "说好的优惠券结算时不能用",
    ],
    "安装调试": [
        "预约的安装师傅没来",
        "装好以后一直不出水",
        "师傅安装时把墙面打坏了",
        "安装费和说好的不一样，多收了{amount}元",
        "调试了三次还是连不上APP",
    ],
    "服务态度": [
        "客服说话很不耐烦，直接挂我电话",
        "门店店员爱答不理",
        "上门师傅态度恶劣，还抽烟",
        "问了几次都是复制粘贴的回答",
    ],
}
COMPLAINT_DETAILS_SEVERE = [
    "已经导致产线停工",
    "后厨完全没法用了，影响正常营业",
    "整个楼层都停水了",
    "设备彻底不能用了",
]
COMPLAINT_TONES = {
    "calm": ["请尽快处理。", "麻烦帮忙看一下。", "希望给个答复。", "请核实一下。"],
    "angry": [
        "太让人失望了！",
        "这是什么服务？！",
        "非常生气，耽误了我很多事。",
        "买你们家东西真是后悔！",
        "我已经忍了很久了！",
    ],
    "threat": [
        "再不解决我就打12315投诉！",
        "我要投诉到消协。",
        "再拖下去我就发微博曝光你们。",
        "不行就走法律程序，我已经咨询律师了。",
        "我要退货，以后再也不买你们家东西了。",
        "已经向市场监管局反映了。",
    ],
}
COMPLAINT_DEMANDS = [
    "希望尽快换新。",
    "要求全额退款。",
    "请给个说法。",
    "希望安排师傅上门处理。",
    "要求赔偿损失。",
    "",
]

CONSULT_GREETINGS = ["你好，", "您好，", "在吗？", "", "客服你好，", "麻烦问一下，"]
CONSULT_QUESTIONS = [
    "{product}的滤芯多久换一次？",
    "{product}可以开增值税专票吗？",
    "请问{product}保修几年？",
    "{product}有没有以旧换新活动？",
    "{product}的安装需要另外收费吗？",
    "我家是老房子，能装{product}吗？",
    "订单什么时候能发货？",
    "{product}和上一代有什么区别？",
    "{product}怎么连接手机APP？",
    "想给父母买一台{product}，哪个型号合适？",
]
CONSULT_QUESTIONS_B2B = [
    "批量采购{product}有没有优惠？",
    "{product}能不能签年度维保合同？",
    "我们有{n}家门店，能统一安排安装吗？",
    "{product}的账期可以做到多少天？",
    "需要{product}的检测报告和资质文件。",
]
CONSULT_TAILS = ["", "谢谢。", "麻烦尽快回复。", "急用，谢谢！", "等你们消息。"]

CALLBACK_REACHED = [
    "回访{salutation}：{product}使用正常，客户表示满意。",
    "新客回访：已讲解{product}的日常保养方法，客户没有其他问题。",
    "客户反馈{product}{issue}，已登记并转售后跟进。",
    "客户表示最近想再买一台{product}送人，已发送优惠信息。",
    "回访确认：上次报修的问题已解决，客户认可师傅的服务。",
    "客户建议安装预约能精确到时间段，已记录。",
    "客户询问滤芯更换，已预约下周上门。",
]
CALLBACK_UNREACHED = [
    "电话未接通，已发短信告知回访目的。",
    "客户正在开会，约明天下午再联系。",
    "连续两次无人接听，改为微信留言。",
    "号码为空号，需核实联系方式。",
]
CALLBACK_REFUSED = ["客户表示不需要回访，已备注。", "客户称很忙，拒绝回访。"]
CALLBACK_ISSUES = ["偶尔有异响", "出水变慢", "APP经常掉线", "滤芯提醒不准", "指示灯一直闪"]

SURVEY_GOOD = [
    "非常满意，师傅很专业。",
    "产品好用，已经推荐给朋友了。",
    "物流很快，客服态度好。",
    "整体体验很棒！",
    "安装干净利落，点赞。",
]
SURVEY_OK = [
    "还可以，就是送货慢了点。",
    "产品不错，安装师傅来晚了。",
    "总体满意，价格再优惠点就好了。",
    "一般般吧，说明书写得不太清楚。",
]
SURVEY_BAD = [
    "不太满意，售后响应太慢。",
    "用了一个月就出问题，很失望。",
    "客服一直推来推去，体验很差。",
    "价格比别家贵，质量也一般。",
    "投诉了好几次才处理，不会再买了。",
]

MESSAGE_WELCOME = (
    "【CareLoop】{salutation}您好，感谢购买{product}！回复1获取使用指南，有问题请致电400-800-1234。"
)
MESSAGE_SHIPPED = "【CareLoop】您购买的{product}已发货，顺丰单号SF{digits}，请注意查收。"
MESSAGE_PROMOS = [
    "【CareLoop】618年中大促，{category}低至8折，{salutation}专享券已到账。回T退订",
    "【CareLoop】双11预售开启，{category}限时直降，老客户再享9折。回T退订",
    "【CareLoop】年货节，{category}满3000减300，{salutation}别错过。回T退订",
]
MESSAGE_BIRTHDAY = "【CareLoop】{salutation}，生日快乐！送您一张100元生日礼券，30天内有效。回T退订"
MESSAGE_FILTER = "【CareLoop】{salutation}，您的{product}滤芯已使用约6个月，建议及时更换。回T退订"
MESSAGE_OPT_OUT = "T"
MESSAGE_TRADE_IN = (
    "【CareLoop】{salutation},老客户以旧换新本周开始:旧净水器最高抵 500 元,"
    "预约上门评估请回复 1。回T退订"
)

SUGGESTION_PREFIXES = ["", "顺便提个建议：", "个人建议，", "希望你们考虑一下："]
SUGGESTIONS = [
    "APP增加滤芯寿命提醒功能。",
    "包装能更环保一点，泡沫太多了。",
    "安装预约能不能支持选具体时间段？",
    "客服增加晚上的服务时间。",
    "能出一款更小尺寸的{category}产品。",
    "发票能直接发到邮箱。",
    "会员积分可以抵扣运费。",
    "说明书多配一些图片，老人看不懂。",
]

# --- the replayed call-center work (careloop.demo.activity) ------------------------------------

# Issues heard on a callback: (text, department, may be urgent).
DEMO_ISSUES = [
    ("{product}出水越来越慢,怀疑滤芯堵了", "售后部", False),
    ("{product}完全不出水,家里没法用", "售后部", True),
    ("{product}的APP连不上,提示设备离线", "技术部", False),
    ("{product}夜里有异响,影响休息", "技术部", False),
    ("上次订的配件一周了还没到", "物流", False),
    ("送货时外包装破损,机身有划痕", "物流", False),
    ("安装师傅没带齐配件,来了两次才装好", "质检部", False),
    ("{product}漏水,地板已经泡了", "售后部", True),
]
DEMO_NEEDS = [
    "想给父母家再买一台{product}",
    "公司新开了两家门店,需要报价",
    "咨询{product}的年度维保套餐",
    "想把{product}升级成新款",
    "办公室想加装一台空气净化器",
]
DEMO_RESOLUTIONS = [
    "已安排师傅上门更换滤芯,客户确认出水正常",
    "远程重置设备并升级固件,APP已恢复连接",
    "补发配件已签收",
    "更换静音电机,异响消除",
    "已上门更换新机,旧机回收",
]
DEMO_REVIEW_COMMENTS = [
    "开场白规范,问题记录清楚。",
    "语速偏快,确认客户需求后再结束通话。",
    "主动提出了解决方案,很好。",
    "没有核对客户身份,下次注意。",
    "记录完整,反馈分类准确。",
]
# Complaints moved through the workflow by the complaint services: one or more per stage,
# hours_ago counted back from now (a severity A complaint unanswered for 5 h breaches its 2 h
# first response; a B one unanswered for 20 h is past 80 % of its 24 h).
DEMO_COMPLAINTS = [
    {
        "stage": "new", "hours_ago": 1.5, "severity": "C", "channel": "phone",
        "category": "使用咨询", "subject": "滤芯更换周期不清楚",
        "description": "说明书上写的滤芯更换周期和APP提醒的不一样,到底该听哪个?",
    },
    {
        "stage": "new", "hours_ago": 5, "severity": "A", "channel": "phone",
        "category": "产品质量", "subject": "净水器完全不出水",
        "description": "昨天开始净水器完全不出水,一家人没水喝,打了两次电话都说等通知,"
        "今天再不处理我就打12315。",
    },
    {
        "stage": "new", "hours_ago": 20, "severity": "B", "channel": "wechat",
        "category": "安装服务", "subject": "安装后台面渗水",
        "description": "师傅安装完第二天发现台面下面一直渗水,柜子都泡了。",
    },
    {
        "stage": "waiting_customer", "hours_ago": 30, "severity": "B", "channel": "online",
        "category": "退换货", "subject": "要求换货",
        "description": "收到的空气净化器有划痕,要求换新的。",
    },
    {
        "stage": "diagnosing", "hours_ago": 26, "severity": "B", "channel": "phone",
        "category": "产品质量", "subject": "运行噪音大", "department": "技术部",
        "description": "新买的净水器制水的时候噪音特别大,晚上根本睡不着。",
        "expected": "上门检查,解决不了就换机", "root_cause": "goods", "nature": "fact",
    },
    {
        "stage": "executing", "hours_ago": 50, "severity": "B", "channel": "phone",
        "category": "售后服务", "subject": "维修师傅爽约", "department": "售后部",
        "description": "约好周六上午上门维修,等了一上午没人来,也没人通知。",
        "expected": "尽快上门并给个说法", "root_cause": "people", "nature": "emotion",
        "reported_before": True,
    },
    {
        "stage": "executing", "hours_ago": 40, "severity": "C", "channel": "email",
        "category": "物流配送", "subject": "配件迟迟未到", "department": "物流",
        "description": "订购的替换滤芯下单十天还没收到,物流信息一直不更新。",
        "expected": "补发并告知到货时间", "root_cause": "place",
    },
    {
        "stage": "resolved", "hours_ago": 60, "severity": "B", "channel": "phone",
        "category": "产品质量", "subject": "水龙头漏水", "department": "售后部",
        "description": "净水器的专用水龙头一直滴水,关不紧。",
        "expected": "更换水龙头", "root_cause": "goods",
    },
    {
        "stage": "closed", "hours_ago": 96, "severity": "C", "channel": "phone",
        "category": "使用咨询", "subject": "APP绑定失败", "department": "技术部",
        "description": "APP一直绑定不上设备,试了好多次。",
        "expected": "教我怎么绑定", "root_cause": "goods",
    },
    {
        "stage": "closed", "hours_ago": 110, "severity": "B", "channel": "wechat",
        "category": "安装服务", "subject": "安装师傅态度差", "department": "质检部",
        "description": "安装师傅态度很差,还把地板划了一道。",
        "expected": "道歉并赔偿地板", "root_cause": "people", "nature": "emotion",
    },
    {
        "stage": "reopened", "hours_ago": 120, "severity": "B", "channel": "phone",
        "category": "产品质量", "subject": "修过一次又坏了", "department": "售后部",
        "description": "上周修好的净水器又开始报警,说是漏水保护,这已经是第二次了。",
        "expected": "直接换新机", "root_cause": "goods", "reported_before": True,
    },
]  # fmt: skip
