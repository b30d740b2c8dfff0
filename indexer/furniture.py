"""Document furniture: the lines around a plan that are not the plan.

Repository front matter (a YAML block of Chinese keys, ``<!-- INFO END -->``, ``>`` disclaimers),
news-release wrappers (发布时间 / 来源 lines, the 新华社…电 lead, 全文如下, a closing （新华社）), the legislative
history under a regulation's title (2015年9月25日 …会议通过) and the title line itself: how to read the
document's own title out of a headline such as 中共中央 国务院印发《…纲要（2021－2035年）》.
"""

from __future__ import annotations

import re

# A YAML block opening the file: ``---`` … ``---`` (repositories store page metadata there).
_YAML_FENCE = "---"
MAX_FRONT_MATTER_LINES = 40

_REPOSITORY = re.compile(r"^(?:<!--.*-->|>\s?.*)$")
_NEWS = re.compile(
    r"^(?:发布时间|發布時間|发布日期|發布日期|来源|來源|字号|字體|字体|【字体|责任编辑|責任編輯|作者|浏览次数|分享到|【打印】|打印本页|【关闭】)"
    r"|^[(（]?(?:新华社|人民日报|央视|中新社)\S{0,12}电[)）]?"  # the dateline lead: 新华社北京9月22日电 近日…
    r"|(?:全文|主要内容)如下[。：:]?$"
)
# A closing credit: （新华社） （来源：人民日报） 【责任编辑：…】
CREDIT = re.compile(r"^[(（【\[]\s*(?:来源[:：]?\s*)?(?:新华社|人民日报|中国政府网|央视新闻|责任编辑)[^)）】\]]{0,30}[)）】\]]$")
# 2015年9月25日 浙江省第十二届人民代表大会常务委员会第二十三次会议通过 (a regulation's history lines), and
# the same in brackets, its events on one line: （2024年6月28日…会议通过　2024年9月27日…会议批准）
HISTORY = re.compile(
    r"^[（(]?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*\S*.{0,300}?(?:通过|批准|公布|施行|修正|修订|发布)\s*[)）]?\s*$"
)
# A date alone on its line (under a signature, a title or a notice): 2022年3月1日, （二〇二二年三月一日）.
DATE_LINE = re.compile(r"^[(（]?\s*(\d{4}|[二〇零一三四五六七八九]{4})\s*年.{1,6}日\s*[)）]?\s*$")
# （2021－2035年） on the line under a title belongs to the title.
YEAR_RANGE = re.compile(r"^[(（]\s*\d{4}\s*[-－—–~～至到]+\s*\d{4}\s*年?\s*[)）]$")
_ISSUING_VERB = re.compile(r"印发|转发|發布|发布|公布|印發|轉發")


def front_matter_end(lines: list[str]) -> int:
    """Index of the first line after a YAML front-matter block at the very start (0 when none)."""
    if not lines or lines[0].strip() != _YAML_FENCE:
        return 0
    for i in range(1, min(len(lines), MAX_FRONT_MATTER_LINES)):
        if lines[i].strip() == _YAML_FENCE:
            return i + 1
    return 0


# A document number (文号): 苏科规〔2026〕2号, 洛政〔２０２６〕１２号.
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［（(]\s*\d{4}\s*[〕\]］）)]\s*\d{1,4}\s*号")
# The issuing body's name on a line of its own above a title that starts with 关于 (洛阳市人民政府 /
# 关于加快推进…的实施意见): the first line of a two-line title.
_ISSUER = r"[^\s，。；：:、\d]{2,30}(?:人民政府|政府|委员会|委員會|办公厅|辦公廳|办公室|辦公室|局|厅|委|部)"
ISSUER_LINE = re.compile(rf"^{_ISSUER}$")
# An issuer then 关于 / 印发 opening a line: a headline's first words (江西省人民政府办公厅关于推进紧密型县)
HEADLINE_START = re.compile(rf"^{_ISSUER}(?:关于|關於|關于|印发|转发|印發|轉發)")


def is_furniture(line: str) -> bool:
    """A repository or news-release line: never the title, never the body."""
    line = line.strip()
    return bool(line) and bool(_REPOSITORY.match(line) or _NEWS.search(line) or CREDIT.match(line))


def title_of(line: str) -> str:
    """The document's own title from its title line: spaces evened out; from a headline that issues
    another document (中共中央 国务院印发《X》), the X it names, with its closing 》 kept whole."""
    line = re.sub(r"\s{2,}", " ", line.strip())
    m = re.search(r"《(?P<name>[^《》]+(?:《[^《》]*》[^《》]*)*)》", line)
    if m and _ISSUING_VERB.search(line[: m.start()]) and not line[m.end() :].strip(" 的"):
        return m.group("name")
    if line.startswith("《") and line.endswith("》") and line.count("《") == 1:
        return line[1:-1]
    return line
