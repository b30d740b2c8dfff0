"""Heading tree → clauses: the smallest numbered units, with departments, split when too long.

Every character of the body belongs to exactly one segment: the preamble, a section's own text before
its first child (an 'intro' clause, or just its heading line when it has no text of its own), a leaf
clause, or a captioned table or box that ends an enumeration (the section's, cited by its caption). Segments are trimmed of trailing whitespace only, so their spans tile the body.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .bodies import GOVERNMENT_ENDINGS, LABELS, ORGAN_ENDINGS  # noqa: F401 - ORGAN_ENDINGS re-exported
from .division import DivisionRow, find_rows, task_key
from .numbering import DOTTED, HEADING_START, canonical, is_annex
from .records import Clause, Departments
from .structure import HeadingMark, Structure

MAX_CLAUSE_CHARS = 400  # e5-small takes 512 tokens; ~400 Chinese characters stay safely under that

_DEPARTMENTS = re.compile(r"[（(]([^（）()]{2,400}?(?:负责|負責)(?:落实|實施|实施|落實)?)[）)]")
# a note naming only who leads: （市商务局牵头）
_LEAD_NOTE = re.compile(r"[（(]由?(?P<who>[^（）()，,；;。：:\n]{2,80}?)(?:牵头|牽頭)[）)]")
_SPLIT_DEPTS = re.compile(r"[，、,；;]")
_SPLIT_GROUPS = re.compile(r"[，,；;]")  # a note's lists (A、B牵头，C、D配合): 、 joins the bodies of one
# A phrase that is not a body: a prohibition or negation (不得由行政机关负责…), a passive (本条例由…), or
# one body acting for another (市政府委托第三方机构负责…).
_NOT_A_BODY = re.compile(r"(?<!自)由|不得|禁止|严禁|不|无须|委托|授权")
# A subject that is a verb's object (坚持政府牵头, 实行部门负责制): no body leads there
_VERB_FIRST = re.compile(r"^(?:坚持|实行|实施|建立|健全|完善|形成|强化|加强|推动|推进|落实)")
_NEGATED = re.compile(r"(?:不得|禁止|严禁|不|无须|无需)$")
# Regulations name who is responsible in the sentence itself: 市、区水务部门负责本行政区域内节水工作…,
# …由省专利行政部门负责; 发展改革、教育…等有关部门按照职责分工做好… shares the work. A body is a phrase
# ending in an organisation word; 负责人 is a person, not a duty.
_BODY = rf"[^，,。；;：:\n（）()“”]{{1,40}}?(?:{'|'.join(ORGAN_ENDINGS)})"
_OPENING = r"(?:^|(?<=[。；;\n]))[^\S\n]*(?:第[一二三四五六七八九十百零〇\d]{1,6}条[^\S\n]*)?"
_SUBJECT_LEADS = re.compile(rf"{_OPENING}(?P<who>{_BODY})(?:应当|依法|具体)?(?:负责|主管(?!部门)|牵头)(?!人)")
_BY_LEADS = re.compile(rf"(?<!自)由(?P<who>{_BODY})(?:负责|牵头)(?!人)")
# A government body (not 单位 / 机构 / 中心: those are as often whom a regulation binds) charged by 应当
# (市文化和旅游主管部门应当建立…), or named by 由 before an enforcement (由市场监督管理部门责令改正，处…罚款)
_GOV_BODY = rf"[^，,。；;：:\n（）()“”]{{1,40}}?(?:{'|'.join(GOVERNMENT_ENDINGS)})"
_DUTY_LEADS = re.compile(rf"{_OPENING}(?P<who>{_GOV_BODY})(?:及其有关部门)?应当(?!会同)")
# …whose name shows it is not the government's: an owners' or villagers' committee, a firm's or a school's
# own office (业主委员会, 用人单位的人事部门, 医疗机构的医务管理部门)
_NOT_GOVERNMENT = re.compile(r"单位|企业|机构|学校|院所|高校|医院|协会|学会|商会|业主委员会|业主大会|村民委员会|居民委员会|物业|仲裁|评审|专家|公司|经营者")
_ENFORCES = re.compile(
    rf"(?<!自)由(?P<who>{_GOV_BODY})(?:依法|依照[^，,。；;]{{1,40}}?规定)?[^\S\n]*(?:责令|处以?|给予|予以|没收|吊销|查处|处罚)"
)
_SHARES = re.compile(
    rf"{_OPENING}(?P<who>[^，,。；;：:\n（）()]{{2,120}}?(?:等(?:有关|相关)?|有关|相关)部门)(?:按照|依照|根据|按)?(?:各自)?职责"
)
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』]?|\n+")
# In a sentence, the bodies that share work after the one that leads it: 市生态环境局牵头，市交通运输局、
# 市公安局配合; 由县市场监管局牵头，县财政局、县金融办等部门参加的…
_PROSE_SUPPORT = re.compile(
    rf"(?P<lead>{_BODY})?牵头(?:负责)?[，,、；;]\s*(?P<who>[^。；;：:\n（）()]{{2,160}}?)(?:等(?:有关|相关)?(?:部门|单位))?(?:共同)?"
    r"(?:配合|参加|参与|协助|协同)"
)
_BODY_END = re.compile(rf"(?:{'|'.join(ORGAN_ENDINGS)}|办|支行|分行|院|会|所|队|站|社)$")
# A regulation's way: 市水务部门应当会同发展改革、规划自然资源等部门… / 由市水务部门会同市场监督管理部门…:
# the first body leads, those it acts together with share the work.
_TOGETHER = re.compile(
    rf"(?:{_OPENING}|(?<![自])由)(?P<who>{_BODY})(?:应当|依法|负责)?(?:[^，,。；;：:\n]{{0,8}}?[，,]\s*(?:并)?)?会同"
    r"(?P<with>[^，,。；;：:\n（）()]{2,80}?)(?=等?(?:有关|相关)?(?:部门|单位|机构)|以及|和有关|[，,。；;]|制定|建立|组织|根据|依据|采取)"
)
_GROUP = re.compile(r"等?(?:有关|相关)?(?:部门|单位|机构)")  # the list's closing 等部门


# A labelled list of bodies: 责任单位：A、B (a line of its own) or （责任单位：A、B） (a note, which may wrap
# across lines). 牵头 names the lead and 配合 / 参与 / 协办 the others; 责任单位 alone names the lead first and
# the bodies that share the work after it (the usual 列第一位者为牵头单位).
_LABELS = LABELS
_LABELLED = re.compile(
    rf"(?:(?<=\n)|^|(?<=[。；;])|[（(])[^\S\n]*(?P<label>{_LABELS})"
    r"\s*[：:]\s*(?P<names>(?:[^。；;（）()\n]|[（(][^（）()\n]{1,20}[）)]){2,300})"
)
# a line that is such a list (牵头单位：… / （配合单位：…）): the paragraph above it is what it names bodies for
LABELLED_LINE = re.compile(rf"^\s*[（(]?(?:{_LABELS})\s*[：:]")
_LABELLED_WRAPPED = re.compile(
    r"[（(](?:责任|牵头|主责|配合|参与|协办)(?:单位|部门)\s*[：:](?:[^（）()]|[（(][^（）()]{0,20}[）)]){2,300}[）)]"
)
_MARKED_LEAD = re.compile(r"\s*[（(]牵头[）)]$")  # 市科技局（牵头）
# the empty brackets a labelled note in parentheses leaves once its list is taken out: （责任单位：…） → （）
_LABELLED_NOTE = re.compile(r"[（(]\s*[）)]")


def _labelled_bodies(text: str, lead: list[str], support: list[str]) -> str:
    """Read the labelled lists of bodies into ``lead`` and ``support``; the text without them (so that
    the other patterns do not read them a second time)."""
    # a note wrapped across lines (（责任单位：市工业和信\n息化局）) is read as one line
    text = _LABELLED_WRAPPED.sub(lambda m: re.sub(r"\s*\n\s*", "", m.group(0)), text)
    for m in _LABELLED.finditer(text):
        names = [n.strip().removesuffix("等").strip() for n in _split_bodies(m.group("names"))]
        names = [re.sub(r"(?:等)?(?:按职责分工|按照职责分工)?(?:负责|負責)$", "", n) for n in names]
        names = [n for n in names if 2 <= len(n) <= 40]
        if not names:
            continue
        label = m.group("label")
        if any(n.endswith(("牵头", "牽頭")) for n in names):  # 责任单位：A、B牵头，C参与: the marks decide
            first, rest, leading = [], [], True
            for n in names:
                bare = re.sub(r"(?:牵头|牽頭|参与|配合|协办)$", "", n).strip()
                (first if leading else rest).append(bare)
                if n.endswith(("牵头", "牽頭")):
                    leading = False
            for name in first:
                _add(lead, name)
            for name in rest:
                _add(support, name)
            continue
        marked = [_MARKED_LEAD.sub("", n) for n in names if _MARKED_LEAD.search(n)]
        if marked:  # 市科技局（牵头）、市财政局: the one marked leads
            first, rest = marked, [n for n in names if not _MARKED_LEAD.search(n)]
        elif label.startswith(("牵头", "主责")):
            first, rest = names, []
        elif label.startswith(("配合", "参与", "协办")):
            first, rest = [], names
        else:
            first, rest = names[:1], names[1:]
        for name in first:
            _add(lead, name)
        for name in rest:
            _add(support, name)
    return _LABELLED_NOTE.sub(" ", _LABELLED.sub(" ", text))


def _split_bodies(names: str) -> list[str]:
    """A、B，C at the separators outside brackets: 各县〔市、区〕政府 and 区委组织部（区委人才办） are one body each."""
    out, depth, cur = [], 0, ""
    for ch in names:
        depth += ch in "（(〔[【"
        depth -= ch in "）)〕]】"
        if depth <= 0 and ch in "、，,":
            out.append(cur)
            cur, depth = "", 0
        else:
            cur += ch
    return [*out, cur]


def parse_departments(text: str) -> Departments:
    """（省市场监管局牵头，省法院、省司法厅等按职责分工负责） → lead 省市场监管局, support 省法院, 省司法厅.

    Without 牵头 every named body shares the work: they are all listed as supporting, none as lead.
    Several such notes in one clause are merged in order.
    """
    lead: list[str] = []
    support: list[str] = []
    text = _labelled_bodies(text, lead, support)  # 责任单位：… lists first, then taken out of the text
    for m in _DEPARTMENTS.finditer(text):
        note = m.group(1)
        # （省市场监管局负责）: named alone, without 牵头 or 分工, the body leads.
        alone = not re.search("牵头|牽頭|分工", note)
        # …负责落实: only a list of bodies (（纳入考核，市督查室负责落实） is a sentence with one)
        bodies_only = re.search(r"(?:落实|實施|实施|落實)$", note) is not None
        note = re.sub(r"(等)?(按照?职责分工|按職責分工|分别|共同)?(负责|負責)(落实|實施|实施|落實)?$", "", note)
        for group in _SPLIT_GROUPS.split(note):
            # （A、B牵头，C按职责分工负责）: the whole list before 牵头 (负责) leads, not only its last body
            group = re.sub(r"(牵头|牽頭)(?:负责|負責)$", r"\1", group.strip())
            leads = group.endswith(("牵头", "牽頭"))
            for part in _SPLIT_DEPTS.split(group):
                name = part.strip().removesuffix("等").strip()
                if bodies_only and not _BODY_END.search(name.removesuffix("牵头").strip()):
                    continue
                if name.endswith(("牵头", "牽頭")):
                    name = name[:-2].strip()
                _add(lead if leads or alone else support, name)
    for m in _LEAD_NOTE.finditer(text):
        for name in _split_bodies(m.group("who")):
            name = name.strip()
            if _BODY_END.search(name) and len(name) <= 40 and not _VERB_FIRST.match(name):
                _add(lead, name)
    simple = text.replace("負責", "负责").replace("牽頭", "牵头")
    for m in _TOGETHER.finditer(simple):
        who = text[m.start("who") : m.end("who")].strip().removeprefix("由")  # 由X会同Y opening a sentence
        if _NOT_A_BODY.search(who):
            continue
        _add(lead, who)
        tail = simple[m.end("with") : m.end("with") + 8]
        group = _GROUP.match(tail)
        for name in _split_bodies(text[m.start("with") : m.end("with")]):
            name = name.strip().removesuffix("等")
            if name in ("有关", "相关", "有关主管", "相关行业主管") or len(name) < 2:
                continue
            if group and not _BODY_END.search(name):  # 发展改革、规划自然资源等部门: each a 部门
                name += "部门"
            if _BODY_END.search(name) and len(name) <= 40:
                _add(support, name)
    for m in _PROSE_SUPPORT.finditer(simple):
        names = [n.strip() for n in _split_bodies(text[m.start("who") : m.end("who")])]
        if m.group("lead") and _VERB_FIRST.match(m.group("lead").rsplit("由", 1)[-1].strip()):
            continue  # 坚持政府牵头，社会参与: a principle, not who does what
        if names and all(_BODY_END.search(n) and len(n) <= 40 for n in names):  # bodies, not a phrase
            if m.group("lead"):  # （市科技局牵头，市财政局配合）: the one before 牵头 leads (after a 由 …)
                first = text[m.start("lead") : m.end("lead")].rsplit("由", 1)[-1].strip()
                if first and not _NOT_A_BODY.search(first):
                    _add(lead, first)
            for name in names:
                _add(support, name)
    for pattern, names in ((_SUBJECT_LEADS, lead), (_BY_LEADS, lead), (_DUTY_LEADS, lead), (_ENFORCES, lead), (_SHARES, support)):
        for m in pattern.finditer(simple):
            who = simple[m.start("who") : m.end("who")]
            if _NOT_A_BODY.search(who) or _VERB_FIRST.match(who) or _NEGATED.search(simple[max(0, m.start() - 3) : m.start()]):
                continue
            if pattern in (_DUTY_LEADS, _ENFORCES) and _NOT_GOVERNMENT.search(who):
                continue
            _add(names, text[m.start("who") : m.end("who")].strip())
    return Departments(tuple(lead), tuple(n for n in support if n not in lead))


def _add(names: list[str], name: str) -> None:
    if name and name not in names:
        names.append(name)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1].isspace():
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return start, end


def segments(text: str, structure: Structure):
    """Yield (kind, heading or None, start, end) for every piece of the body, in order. A glossary inside
    the body (before an annex) is not part of the section before it: see ``glossary_clauses``."""
    body_start, body_end = structure.body_span
    marks = structure.headings
    blocks = {b.after.start: b for b in structure.blocks}
    cuts = sorted([g.span[0] for g in structure.glossaries] + [b.start for b in structure.blocks] + [g[0] for g in structure.gaps])

    def until(start: int, end: int) -> int:
        return min([c for c in cuts if start < c < end] + [end])

    first = marks[0].start if marks else body_end
    start, end = _trim(text, body_start, until(body_start, first))
    if end > start:
        yield "preamble", None, start, end
    for i, mark in enumerate(marks):
        nxt = marks[i + 1] if i + 1 < len(marks) else None
        seg_end = until(mark.start, nxt.start if nxt else body_end)
        start, end = _trim(text, mark.start, seg_end)
        has_children = nxt is not None and nxt.level > mark.level
        if not has_children and not mark.title and not text[mark.title_end : end].strip():
            yield "heading", mark, start, end  # a number with nothing under it (附件 alone): no clause
        elif not has_children:
            yield "clause", mark, start, end
            if mark.start in blocks:
                block = blocks[mark.start]
                yield "block", block.parent, block.start, block.end
        elif text[mark.title_end : end].strip(" \n。：:"):
            yield "intro", mark, start, end
        else:
            yield "heading", mark, start, end


def number_path(mark: HeadingMark | None) -> str:
    """1.2.3 for 一、（二）3.; an annex's numbers start with a (a1.2): 附件1 is not chapter 一, whose clauses
    look up their parents by this path."""
    if mark is None:
        return "0"
    return ".".join(f"a{value}" if is_annex(scheme) else str(value) for scheme, value in mark.numbers)


def make_clauses(text: str, structure: Structure, doc_id: str, region: str) -> list[Clause]:
    """Cut the body into clauses (long ones into parts) with stable ids and their departments."""
    clauses: list[Clause] = []
    seen: dict[str, int] = {}
    divisions: list[tuple[DivisionRow, str]] = []
    for kind, mark, start, end in segments(text, structure):
        if kind == "heading":
            continue
        block = next(b for b in structure.blocks if b.start == start) if kind == "block" else None
        if block is not None and not block.caption:  # the section's own paragraph after its enumeration
            kind = "intro"
        elif block is not None:  # a captioned table or box of the section: cited by its number and caption
            key = f"{number_path(mark)}.b"
            seen[key] = seen.get(key, 0) + 1
            clauses += _parts(
                text, start, end, f"{doc_id}:{key}{seen[key]}", mark, doc_id, region, parse_departments(text[start:end]),
                "lead", lead=block.caption,
            )
            continue
        key = number_path(mark)
        seen[key] = seen.get(key, 0) + 1
        base_id = f"{doc_id}:{key}" + (f"~{seen[key]}" if seen[key] > 1 else "")
        whole = text[start:end]
        rows = find_rows(text, start, end) if mark is not None else []
        if rows:  # a division-of-labour table: one clause per task, each with its own bodies
            clauses += _division_clauses(text, start, end, base_id, mark, doc_id, region, kind, rows)
            divisions += [(row, base_id) for row in rows]
            continue
        departments = parse_departments(whole)
        leads = run_in_leads(text, start, end, mark.title_end if mark else start) if kind == "clause" else []
        if not leads:
            clauses += _parts(text, start, end, base_id, mark, doc_id, region, departments, kind)
            continue
        # A section made of run-in lead paragraphs (户外设施品质持续提升。… 责任区管理稳中求进。…): one
        # clause per lead, cited by the section's number plus the lead's words.
        head_end = leads[0][1]
        if text[mark.title_end : head_end].strip(" \n。：:"):
            clauses += _parts(text, start, _trim(text, start, head_end)[1], base_id, mark, doc_id, region, departments, "intro")
        for n, (lead, l_start, l_end) in enumerate(leads, 1):
            clauses += _parts(
                text, l_start, l_end, f"{base_id}.l{n}", mark, doc_id, region, departments, "lead", lead=lead
            )
    clauses = _assign_divisions(clauses, divisions)
    return sorted(clauses + glossary_clauses(text, structure, doc_id, region), key=lambda c: c.span)


def _division_clauses(text, start, end, base_id, mark, doc_id, region, kind, rows) -> list[Clause]:
    """A section holding a division table: its text before the first row (heading, caption, header) as
    one clause, then one clause per row, cited like a run-in lead by the row's task. A line between two
    rows (a group's title spanning the table) goes with the row after it."""
    out: list[Clause] = []
    head = _trim(text, start, rows[0].span[0])
    if text[mark.title_end : head[1]].strip():
        out += _parts(text, *head, base_id, mark, doc_id, region, Departments(), "intro" if kind == "clause" else kind)
    leads = [row.lead() for row in rows]
    leads = [row.lead(specific=True) if leads.count(lead) > 1 else lead for row, lead in zip(rows, leads, strict=True)]
    for n, row in enumerate(rows, 1):
        r_start = rows[n - 2].span[1] if n > 1 else row.span[0]
        r_end = row.span[1] if n < len(rows) else end
        out += _parts(
            text, *_trim(text, r_start, r_end), f"{base_id}.l{n}", mark, doc_id, region,
            parse_departments(row.bodies), "lead", lead=leads[n - 1],
        )
    return out


MIN_TASK_KEY = 4  # a task named in fewer characters (加强领导) is too common to find its item by


def _assign_divisions(clauses: list[Clause], divisions: list[tuple[DivisionRow, str]]) -> list[Clause]:
    """The body's section of each row's task takes the row's bodies, in every clause of it that names
    nobody itself: the one section whose title is the task (（一）扩大质押融资规模 for 扩大质押融资规模; a
    chapter's title gives them to all its items), or the one untitled item whose text opens with it. A
    task that two sections could be is given to neither, and so is a section with sections of its own that
    several rows land on (rows that match only their chapter, 任务分类, say nothing of its items): a wrong
    department is worse than none."""
    if not divisions:
        return clauses
    tables = {base for _, base in divisions}
    rows: dict[int, str] = {}  # each row's clause id (the first part's), by where it starts
    under: dict[tuple[str, ...], list[int]] = {}  # a section's path → its clauses outside the tables
    for i, c in enumerate(clauses):
        base = c.clause_id.partition("#")[0]
        if base.rpartition(".l")[0] in tables or base in tables:
            if c.kind == "lead":
                rows.setdefault(c.span[0], c.clause_id)
        elif c.kind in ("clause", "intro", "lead"):
            for depth in range(1, len(c.section_path) + 1):
                under.setdefault(c.section_path[:depth], []).append(i)
    # each section's keys once: its title's, and (an untitled item's) its text's
    keys_of = {
        path: (task_key(path[-1]), task_key(clauses[members[0]].text) if clauses[members[0]].section_path == path else "")
        for path, members in under.items()
    }
    landed: dict[tuple[str, ...], list[DivisionRow]] = {}
    for row, _ in divisions:
        keys = [k for k in map(task_key, row.tasks) if len(k) >= MIN_TASK_KEY]
        found = [path for path, (title, body) in keys_of.items() if any(_names_task(title, body, k) for k in keys)]
        # a row naming an item and the chapter it is in (任务分类 夯实数字基础设施 / 具体任务 加快5G网络建设):
        # the item, the narrowest
        found = [path for path in found if not any(len(other) > len(path) and other[: len(path)] == path for other in found)]
        if len(found) == 1:
            landed.setdefault(found[0], []).append(row)
    given: dict[int, tuple[list[str], list[str], str]] = {}
    for path, hits in landed.items():
        if len(hits) > 1 and len({clauses[i].section_path for i in under[path]}) > 1:
            continue  # several rows on one chapter: which of its items each is, the table does not say
        for row in hits:
            deps = parse_departments(row.bodies)
            source = max(((start, cid) for start, cid in rows.items() if start <= row.span[0]), default=(0, ""))[1]
            for i in under[path]:
                if clauses[i].departments:
                    continue
                lead, support, _ = given.setdefault(i, ([], [], source))
                for name in deps.lead:
                    _add(lead, name)
                for name in deps.support:
                    _add(support, name)
    out = list(clauses)
    for i, (lead, support, source) in given.items():
        out[i] = replace(out[i], departments=Departments(tuple(lead), tuple(n for n in support if n not in lead), source))
    return out


def _names_task(title: str, body: str, key: str) -> bool:
    """Whether a section (its title's key, and its text's when it is an untitled item) is the task ``key``."""
    if len(title) >= MIN_TASK_KEY and (title == key or key.startswith(title) or title.startswith(key)):
        return True
    if min(len(title), len(key)) >= 2 * MIN_TASK_KEY and (key in title or title in key):
        return True  # 钢铁与装备制造产业链 for 做强钢铁与装备制造产业链
    if not body or len(key) < 2 * MIN_TASK_KEY:
        return False
    # its opening words, or a whole sentence of it copied into the table (a sentence is telling enough)
    return body.startswith(key) or (len(key) >= 3 * MIN_TASK_KEY and key in body)


def glossary_clauses(text: str, structure: Structure, doc_id: str, region: str) -> list[Clause]:
    """One clause per glossary term (kind ``glossary``), under the glossary's own heading: cited as
    名词解释 + the term, numbered ``g1``, ``g2`` … in the document's order."""
    out: list[Clause] = []
    n = 0
    for glossary in structure.glossaries:
        for term, start, end in glossary.entries:
            n += 1
            pieces = split_long(text, start, end)
            out += [
                Clause(
                    clause_id=f"{doc_id}:g{n}" + (f"#{part}" if len(pieces) > 1 else ""),
                    doc_id=doc_id,
                    region=region,
                    section_path=(glossary.label, term),
                    number="",
                    label=term,
                    text=text[p_start:p_end],
                    span=(p_start, p_end),
                    kind="glossary",
                    part=part,
                    parts=len(pieces),
                )
                for part, (p_start, p_end) in enumerate(pieces, 1)
            ]
    return out


def _parts(text, start, end, clause_id, mark, doc_id, region, departments, kind, lead: str = "") -> list[Clause]:
    """A segment as one clause, or as parts of about equal length when it is long."""
    pieces = split_long(text, start, end)
    return [
        Clause(
            clause_id=clause_id if len(pieces) == 1 else f"{clause_id}#{part}",
            doc_id=doc_id,
            region=region,
            section_path=(mark.labels if mark else ()) + ((lead,) if lead else ()),
            number="" if lead else _number(mark),
            label=lead or (mark.title if mark else "前言"),
            text=text[p_start:p_end],
            span=(p_start, p_end),
            departments=departments,
            kind=kind,
            part=part,
            parts=len(pieces),
        )
        for part, (p_start, p_end) in enumerate(pieces, 1)
    ]


# A run-in lead: a paragraph that opens with a short sentence naming its topic (完善知识产权保护制度。…).
_LEAD = re.compile(r"(?P<lead>[^，,。；;：:\n]{4,30})。(?=\S)")
MIN_LEADS = 2


def run_in_leads(text: str, start: int, end: int, body_start: int) -> list[tuple[str, int, int]]:
    """(lead, start, end) of the paragraphs of a long section that each open with a run-in lead sentence,
    when the section is made of them (at least two, covering most of its text); else []. The spans run
    from each lead to the next, so together with the text before the first they tile the section."""
    if end - start <= MAX_CLAUSE_CHARS:
        return []
    starts = []
    pos = text.find("\n", body_start, end)
    while pos != -1:
        line_start = pos + 1
        while line_start < end and text[line_start] in " \n":
            line_start += 1
        m = _LEAD.match(text, line_start, end)
        lead = m.group("lead").strip().lstrip("—–- ").strip() if m else ""
        if len(re.findall(r"[\u4e00-\u9fff]", lead)) >= 2 and not HEADING_START.match(lead):
            starts.append((lead, line_start))
        pos = text.find("\n", line_start, end)
    if len(starts) < MIN_LEADS or end - starts[0][1] < 0.6 * (end - body_start):
        return []
    out = []
    for i, (lead, s) in enumerate(starts):
        e = starts[i + 1][1] if i + 1 < len(starts) else end
        out.append((lead, *_trim(text, s, e)))
    return out


def _number(mark: HeadingMark | None) -> str:
    if mark and mark.scheme in DOTTED:  # 4.1.2, as its label writes it
        return mark.label.split(" ", 1)[0]
    return canonical(mark.scheme, mark.value) if mark else ""


def split_long(text: str, start: int, end: int, limit: int = MAX_CLAUSE_CHARS) -> list[tuple[int, int]]:
    """Split [start, end) at sentence ends into about-equal parts of at most ``limit`` characters.

    The parts tile the span exactly (the whitespace between sentences stays with the earlier part), so
    nothing is lost or doubled. A single sentence longer than the limit stays whole.
    """
    length = end - start
    if length <= limit:
        return [(start, end)]
    cuts = [m.end() for m in _SENTENCE_END.finditer(text, start, end) if m.end() < end]
    n_parts = -(-length // limit)
    target = length / n_parts
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for i, cut in enumerate(cuts):
        next_cut = cuts[i + 1] if i + 1 < len(cuts) else end
        # Cut here when the next sentence would overshoot the target size or the hard limit.
        if cut - piece_start >= target or next_cut - piece_start > limit:
            if cut > piece_start:
                pieces.append((piece_start, cut))
                piece_start = cut
    pieces.append((piece_start, end))
    trimmed = (_trim(text, s, e) for s, e in pieces)
    return [(s, e) for s, e in trimmed if e > s]
