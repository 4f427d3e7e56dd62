"""Chinese text helpers: pinyin for search, honorifics for addressing customers."""


def pinyin_initials(name: str) -> str:
    """'张三' -> 'zs'; latin letters are kept, everything lower-case."""
    from pypinyin import Style, lazy_pinyin  # imported on first use: ~0.3 s of start-up

    return "".join(
        p[0] for p in lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="default") if p
    ).lower()[:64]


def pinyin_full(name: str) -> str:
    """'张三' -> 'zhangsan'."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name or "", errors="default")).lower().replace(" ", "")[:128]
