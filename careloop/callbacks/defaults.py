"""Default call scripts, one per purpose (seed 000 §二: 开场白、核心问题、备用话术、结束语).

Placeholders are filled on the task screen: {{称呼}} (张先生), {{姓名}}, {{公司}}, {{坐席}},
{{原因}} (the task's reason), {{最近产品}}, {{投诉编号}}, {{距上次下单天数}} — the first five as
in the care rule scripts (`care_script_render`). A placeholder with no value reads as a
neutral phrase.
"""

OPENING = "{{称呼}}您好!我是客户服务中心的{{坐席}},"

DEFAULT_SCRIPTS: dict[str, dict[str, str]] = {
    "complaint_followup": {
        "opening": OPENING + "关于您反馈的问题(投诉编号 {{投诉编号}}),给您带来了不便,我们非常抱歉。"
        "想跟您确认一下目前的情况,耽误您 3 分钟可以吗?",
        "questions": "请问问题是什么时候出现的,现在情况怎么样?\n"
        "您希望我们怎样处理会比较满意?\n"
        "这个问题之前是否向我们反映过?",
        "on_refusal": "理解您现在不方便,我们会先按您反馈的内容处理,"
        "稍后以短信告知进展。请问什么时间再联系您比较合适?",
        "on_angry": "非常理解您的心情,换作是我也会着急。"
        "这件事由我负责跟进到底,今天之内给您一个明确答复。",
        "closing": "再次向您致歉。处理有进展我会第一时间告诉您,"
        "有任何问题也可以直接联系我。祝您生活愉快!",
    },
    "resolution_check": {
        "opening": OPENING + "您之前反馈的问题(编号 {{投诉编号}}),我们的同事已经为您处理完毕,"
        "今天特意回访确认一下效果,耽误您 2 分钟可以吗?",
        "questions": "现在使用是否正常了?\n"
        "您对这次的处理结果满意吗?\n"
        "还有其他需要我们帮忙的地方吗?",
        "on_refusal": "好的,不打扰您了。如果问题再次出现,请随时联系我们,我们会优先处理。",
        "on_angry": "很抱歉问题还没有彻底解决,我马上重新登记并升级处理,今天之内给您回电说明方案。",
        "closing": "感谢您的耐心和配合。后续有任何问题,欢迎随时联系我们。",
    },
    "churn_rescue": {
        "opening": OPENING + "您是我们的老朋友了,最近发现您的订购少了一些,想听听您的意见,"
        "看看我们哪里做得还不够好,耽误您 3 分钟可以吗?",
        "questions": "最近在使用{{最近产品}}时有没有遇到不方便的地方?\n"
        "是不是有其他需求我们没能满足?\n"
        "如果我们在价格、服务或配送上做些调整,您更看重哪一方面?",
        "on_refusal": "没关系,我们把您的意见记下了。我给您发一条短信,"
        "里面有专属客服的联系方式,有需要随时找我们。",
        "on_angry": "非常抱歉让您有不好的体验,您说的问题我都记下来了,"
        "会请主管亲自跟进,并给您一个改进方案。",
        "closing": "谢谢您这么坦诚的反馈,我们会认真改进,也希望能继续为您服务。",
        "suggestions": "可提供老客户专属优惠或延长保修,视客户意向登记为潜在需求。",
    },
    "emotion_care": {
        "opening": OPENING + "注意到您前几天联系我们时遇到了一些不愉快,特意打电话来了解一下情况,"
        "看看我们能帮您做些什么。",
        "questions": "现在事情处理得怎么样了?\n还有哪些地方让您不满意?\n您希望我们接下来怎么做?",
        "on_refusal": "理解,不打扰您了。我把您的情况转给主管跟进,有进展会短信告诉您。",
        "on_angry": "您的感受我完全理解,非常抱歉。请您放心,这件事由我负责跟进,"
        "今天就给您一个明确的处理方案。",
        "closing": "感谢您给我们改正的机会。我会一直跟进到问题解决,有事随时找我。",
    },
    "detractor_followup": {
        "opening": OPENING + "看到您在最近的评价中给了我们较低的分数,非常重视您的意见,"
        "想具体了解一下原因,耽误您 3 分钟可以吗?",
        "questions": "是哪方面让您不太满意?\n"
        "这个问题对您的使用影响大吗?\n"
        "如果我们要改进,您最希望先改哪一点?",
        "on_refusal": "好的,感谢您的评价,我们会根据您的打分改进。不打扰您了。",
        "on_angry": "非常抱歉给您带来这样的体验,您说的问题我马上登记并转给相关部门处理。",
        "closing": "谢谢您的反馈,改进之后我们会再告诉您结果。",
    },
    "activation": {
        "opening": OPENING + "看到您最近购买了我们的{{最近产品}},今天特意回访一下,"
        "帮您解答使用中的疑问,耽误您 3–5 分钟可以吗?",
        "questions": "产品用起来是否顺畅?\n"
        "有没有哪个功能还不太会用?\n"
        "是否需要我们安排一次使用指导?",
        "on_refusal": "好的,我给您发一份使用指南,有问题随时联系我们。",
        "on_angry": "很抱歉给您添麻烦了,您遇到的问题我马上记下来,请技术同事今天联系您。",
        "closing": "感谢您选择我们!后续有任何使用问题,欢迎随时联系,我们一直都在。",
        "suggestions": "主动分享 1–2 个使用小技巧;客户有兴趣时介绍配套产品。",
    },
    "wakeup": {
        "opening": OPENING + "您上次在我们这里下单已经是 {{距上次下单天数}} 天前了,"
        "想问候一下您,也了解一下您最近的需求。",
        "questions": "上次购买的{{最近产品}}用得怎么样?\n"
        "最近有没有新的采购或使用需求?\n"
        "我们现在有一些新品和活动,您感兴趣了解一下吗?",
        "on_refusal": "没关系,我给您发一条活动短信,您有空的时候看看。",
        "on_angry": "很抱歉打扰到您了,您提到的问题我记下来了,会请同事专门跟进。",
        "closing": "感谢您一直以来的支持,有需要随时联系我们,期待再次为您服务。",
        "suggestions": "可介绍与{{最近产品}}配套的耗材或升级款,及当期老客户优惠。",
    },
    "retention": {
        "opening": OPENING
        + "您是我们的老客户了,今天回访一下,了解您最近的使用体验,耽误您 3 分钟可以吗?",
        "questions": "最近使用{{最近产品}}感觉怎么样?\n"
        "近期是否有新的需求?\n"
        "对我们的产品或服务有哪些改进建议?",
        "on_refusal": "好的,不打扰您了,后续有任何需要随时联系我们。",
        "on_angry": "非常抱歉,您说的问题我马上记录下来,请相关同事尽快联系您处理。",
        "closing": "感谢您抽出时间反馈,我们会认真记录您的建议。祝您工作顺利!",
        "suggestions": "您上次购买了{{最近产品}},现在配套产品正在做活动,可以为您介绍一下。",
    },
    "birthday": {
        "opening": OPENING + "生日快要到了,我们提前祝您生日快乐!",
        "questions": "最近产品用得还顺利吗?\n有什么需要我们帮忙的吗?",
        "on_refusal": "好的,不打扰您了,再次祝您生日快乐!",
        "on_angry": "很抱歉打扰到您,祝您一切顺利。",
        "closing": "预祝您生日快乐!我们为您准备了一份小礼物,近期会安排寄出,请注意查收。",
    },
    "holiday": {
        "opening": OPENING + "节日快到了,代表公司向您致以节日的问候!",
        "questions": "这一年来使用我们的产品和服务还满意吗?\n"
        "节后有没有新的计划或需求,需要我们提前准备?",
        "on_refusal": "好的,不打扰您过节了,祝您节日快乐!",
        "on_angry": "很抱歉,您提到的问题我记下来了,节后第一时间安排同事处理。",
        "closing": "感谢您一年来的支持,祝您和家人节日快乐、万事如意!",
    },
    "announcement": {
        "opening": OPENING + "今天联系您,是想告诉您一项和您相关的服务更新。",
        "questions": "您之前了解过这项更新吗?\n对这次更新,您有什么疑问或顾虑吗?",
        "on_refusal": "好的,我把详细说明用短信发给您,您有空时看看。",
        "on_angry": "理解您的顾虑,具体影响我帮您逐项确认,有问题我们负责到底。",
        "closing": "感谢您的时间,如有疑问欢迎随时联系我们。",
    },
}


SCRIPT_FIELDS = ("opening", "questions", "on_refusal", "on_angry", "closing", "suggestions")


def ensure_default_scripts(script_model, version_model) -> int:
    """Create the default script (any value class) of every purpose that has none; returns
    how many were created. Used by the data migration (historical models) and by
    `call_scripts_ensure_defaults` (after a test database was flushed, or a new purpose)."""
    have = set(script_model.objects.filter(value_class="").values_list("purpose", flat=True))
    created = 0
    for purpose, text in DEFAULT_SCRIPTS.items():
        if purpose in have:
            continue
        values = {f: text.get(f, "") for f in SCRIPT_FIELDS}
        script = script_model.objects.create(purpose=purpose, value_class="", **values)
        version_model.objects.create(script=script, version=1, snapshot=values)
        created += 1
    return created
