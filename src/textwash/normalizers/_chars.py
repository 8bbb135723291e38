"""Character classes shared by the normalizers (as regex fragments)."""

from __future__ import annotations

#: A Han ideograph (any CJK block, including extensions and compatibility ideographs).
HAN = r"\p{Han}"

#: Full-width punctuation used in Chinese running text.
CJK_PUNCT_CHARS = (
    "，。、；：？！…—–·～“”‘’《》〈〉【】（）「」『』〔〕〖〗"
    "\uff01\uff02\uff03\uff04\uff05\uff06\uff07\uff08\uff09\uff0a\uff0b\uff0c\uff0d\uff0e\uff0f"
    "\uff1a\uff1b\uff1c\uff1d\uff1e\uff1f\uff20\uff3b\uff3c\uff3d\uff3e\uff3f\uff40"
    "\uff5b\uff5c\uff5d\uff5e\u3001\u3002\u3003\u3008-\u3011\u3014-\u301f"
)
CJK_PUNCT = f"[{CJK_PUNCT_CHARS}]"

#: Opening and closing CJK brackets and quotes.
CJK_OPEN = "“‘《〈【（「『〔〖"
CJK_CLOSE = "”’》〉】）」』〕〗"

#: Han or CJK punctuation: what OCR spaces sit between.
HAN_OR_PUNCT = f"[{HAN}{CJK_PUNCT_CHARS}]"

#: Horizontal whitespace, including the ideographic space and no-break space.
HSPACE = r"[ \t\u00a0\u3000\u2002-\u200a\u202f\u205f]"

#: Sentence-final punctuation in Chinese (a line ending in one of these ends a sentence).
TERMINAL = "。！？；…”’）》」』】〕：!?;:"

# Headings and ordinals must read the same in both scripts: zh-hant converts
# "第十条" to "第十條" and a second run must still see a heading (issue 15).

#: Chinese numerals used in headings and ordinals (traditional 萬兩 too).
ZH_NUM = "〇零一二三四五六七八九十百千万萬两兩"

#: What a "第…" heading counts: chapters, sections, articles ... (both scripts).
HEADING_UNIT = "章节節条條款编編篇部卷回"
