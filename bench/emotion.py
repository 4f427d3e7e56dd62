"""Benchmark: the emotion classifier on N contact texts, against plain jieba on the same texts.

    python bench/emotion.py [--texts 10000] [--seed 7] [--repeat 3]

Builds N seeded contact texts (demo consultations, survey answers, complaints; a few threats,
traditional characters and English/emoji noise; 10–200 characters), then times, in one run:

* baseline: `jieba.lcut(text)` (jieba's default: dictionary + HMM) over every text — the cost of
  merely cutting Chinese into words;
* careloop: `classify(texts)` with the configured classifier (the lexicon classifier: NFKC,
  OpenCC t2s, jieba with the lexicon dictionary, rules), one call for all texts as the import
  does per chunk.

Both are warmed up first (dictionaries loaded, not timed; the warm-up is printed apart). Prints
texts/s, the ratio careloop / baseline (best of --repeat), and the share of high-risk texts.
"""

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OPENERS = ["你好，", "您好，", "喂，", "客服你好，", "", "", "在吗？"]
BODIES = [
    "我上周买的{p}到现在还没收到，什么时候能发货？",
    "{p}安装好了，师傅很专业也很耐心，非常满意。",
    "{p}用了一个月就出问题，很失望。",
    "请问{p}怎么连接手机APP？说明书看不懂。",
    "客服一直推来推去，体验很差，问题到现在还没解决。",
    "再不解决我就去12315投诉！",
    "我要投诉到消协。",
    "再拖下去我就发微博曝光你们。",
    "你们这个垃圾产品气死我了！！！",
    "谢谢你们，问题解决了，点赞👍",
    "價格比別家貴，質量也一般。",
    "我很著急，什麼時候能到？",
    "不太满意，售后响应太慢。",
    "我不会去投诉12315的，只是希望尽快处理。",
    "订单号 20261125{n}，麻烦查一下物流。",
    "The {p} is broken, refund please!!! 😡",
    "总体满意，价格再优惠点就好了。",
    "如果今天还不给答复，我就找律师起诉你们。",
    "滤芯多久换一次？需要预约上门吗？",
    "已经打了三次电话了，每次都说会回电，结果没人理。",
]
PRODUCTS = ["净水器", "空气净化器", "扫地机器人", "热水器", "滤芯", "智能门锁", "洗碗机"]


def texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [rng.choice(OPENERS)]
        for _ in range(rng.choice([1, 1, 2, 3, 5])):
            body = rng.choice(BODIES)
            parts.append(body.format(p=rng.choice(PRODUCTS), n=rng.randrange(1000, 9999)))
        out.append("".join(parts)[:200])
    return out


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("CARELOOP_DATA_DIR", tempfile.mkdtemp(prefix="careloop-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    import django

    django.setup()
    import jieba

    from careloop.emotion.classifier import classifier_path, classify, get_classifier

    jieba.setLogLevel(logging.WARNING)
    corpus = texts(args.texts, args.seed)
    chars = sum(len(t) for t in corpus)

    started = time.perf_counter()
    jieba.initialize()
    jieba_warm = time.perf_counter() - started
    started = time.perf_counter()
    warm = getattr(get_classifier(), "warm_up", None)
    if warm:
        warm()
    classify(corpus[:10])
    careloop_warm = time.perf_counter() - started

    baseline = best(lambda: [jieba.lcut(t) for t in corpus], args.repeat)
    results = []
    careloop = best(lambda: results.append(classify(corpus)), args.repeat)
    high = sum(r.high_risk for r in results[-1])

    print(f"classifier: {classifier_path()}")
    print(
        f"{len(corpus):,} texts, {chars:,} characters (avg {chars / len(corpus):.0f}), "
        f"seed {args.seed}, best of {args.repeat}"
    )
    print(f"{'':<22}{'seconds':>9}{'texts/s':>11}{'warm-up s':>11}")
    print(
        f"{'baseline jieba.lcut':<22}{baseline:>9.2f}{len(corpus) / baseline:>11,.0f}"
        f"{jieba_warm:>11.2f}"
    )
    print(
        f"{'careloop classify':<22}{careloop:>9.2f}{len(corpus) / careloop:>11,.0f}"
        f"{careloop_warm:>11.2f}"
    )
    print(f"ratio careloop / baseline: {careloop / baseline:.2f}×")
    print(f"high-risk: {high:,} of {len(corpus):,} ({high / len(corpus):.1%})")


if __name__ == "__main__":
    main()
