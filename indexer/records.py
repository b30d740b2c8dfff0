"""The frozen records that flow through the project: Document → Clause (→ Hit → Citation in retrieval).

Everything here is plain data: tuples for paths and spans, no behaviour beyond small derived views,
and a ``to_json``/``from_json`` pair so the index sidecars stay plain JSON (never pickle).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

Span = tuple[int, int]  # [start, end) offsets into a document's cleaned text


@dataclass(frozen=True, slots=True)
class Document:
    """One plan: where it came from and what it is. Offsets elsewhere point into its cleaned text."""

    doc_id: str  # stable: the source file's stem (data/ is flat)
    source: str  # file name in data/
    sha256: str  # of the source file's bytes
    title: str  # 青海省“十四五”知识产权保护和运用规划
    region: str  # 青海省
    region_level: str  # 全国 / 省 / 市 / 自治州 / 地区 / 盟 / 区县
    province: str  # the province the region belongs to ('' for 全国)
    issuer: str = ""  # 青海省人民政府
    doc_number: str = ""  # 晋政发〔2022〕13号
    signed: str = ""  # ISO date, '' when unknown
    published: str = ""  # ISO date, '' when unknown
    doc_type: str = ""  # 规划 / 实施意见 / 条例 / 办法 / 意见 …
    body_span: Span = (0, 0)  # the part of the cleaned text that holds the numbered body
    ocr_pages: int = 0  # pages read from their image by OCR (a scanned PDF), 0 for a text document
    # How a short citation names it where its region has other documents (青海省 实施意见; metadata.cite_names,
    # set when an index is opened: it depends on the other documents); "" for the region alone
    cite_name: str = ""

    def to_json(self) -> dict:
        data = asdict(self)
        del data["cite_name"]  # derived from the other documents when an index is opened, never stored
        return data

    @classmethod
    def from_json(cls, data: dict) -> Document:
        return _from_json(cls, data)


@dataclass(frozen=True, slots=True)
class Heading:
    """A numbered heading of the plan's tree."""

    level: int  # depth in this document's tree, 1 = top
    scheme: str  # numbering scheme key, e.g. 'cn、' '（cn）' 'n.' '（n）' '第章'
    number: str  # the number as an Arabic integer string, e.g. '4' for 四、
    label: str  # canonical label: number in canonical form + title, e.g. '（一）强化知识产权全链条保护'
    path: tuple[str, ...]  # labels root first, ending with this label
    span: Span  # the heading's own text in the cleaned source

    def to_json(self) -> dict:
        return asdict(self)


LEAD, SUPPORT = "牵头", "参与"  # the departments that lead, and those that share the work (…等按职责分工负责)


@dataclass(frozen=True, slots=True)
class Departments:
    """Who is responsible, parsed from （…牵头，…等按职责分工负责）."""

    lead: tuple[str, ...] = ()
    support: tuple[str, ...] = ()
    # the clause that names them when the clause's own text does not: the row of a division table
    # (重点任务分工表) whose task is this clause's; "" when read from the clause itself
    source: str = ""

    @property
    def all(self) -> tuple[str, ...]:
        return self.lead + self.support

    def __bool__(self) -> bool:
        return bool(self.lead or self.support)

    def labelled(self) -> list[str]:
        """["牵头：市水务局", "参与：市财政局、…"]: the one vocabulary of roles, in the app, CLI and exports."""
        return [f"{label}：{'、'.join(names)}" for label, names in ((LEAD, self.lead), (SUPPORT, self.support)) if names]


@dataclass(frozen=True, slots=True)
class Clause:
    """The unit of retrieval: the smallest numbered unit of a plan (or a part of a long one)."""

    clause_id: str  # stable across rebuilds of an unchanged source
    doc_id: str
    region: str
    section_path: tuple[str, ...]  # heading labels root first
    number: str  # the clause's own number as written canonically, e.g. '1.' or '（十四）' ('' if none)
    label: str  # the clause's own heading title, e.g. '完善知识产权保护体系建设'
    text: str  # the clause as displayed (cleaned source text of its span)
    span: Span
    departments: Departments = field(default_factory=Departments)
    # 'clause' | 'preamble' | 'intro' (a section's text before its children) | 'lead' (a run-in lead
    # paragraph of a section made of them, or a captioned table or box of a section, after its
    # enumeration: label and last path entry are the lead or caption) | 'indicator' | 'glossary' (a term
    # of a 名词解释 list)
    kind: str = "clause"
    part: int = 1  # long clauses are split at sentence ends into parts with the same path
    parts: int = 1

    def to_json(self) -> dict:
        data = asdict(self)
        deps = self.departments
        data["departments"] = {"lead": list(deps.lead), "support": list(deps.support)} | (
            {"source": deps.source} if deps.source else {}
        )
        return data

    @classmethod
    def from_json(cls, data: dict) -> Clause:
        data = dict(data)
        deps = data.pop("departments", None) or {}
        return _from_json(
            cls, data,
            departments=Departments(tuple(deps.get("lead", ())), tuple(deps.get("support", ())), deps.get("source", "")),
        )


@dataclass(frozen=True, slots=True)
class Indicator:
    """A row of an indicator table: a quantitative target of a plan."""

    doc_id: str
    region: str
    section_path: tuple[str, ...]
    name: str  # 每万人口高价值发明专利拥有量
    unit: str  # 件
    baseline_year: str  # '2020'
    baseline: str  # as written: '1.1', '—'
    target_year: str  # '2025'
    target: str  # as written: '2.5', '≥100'
    attribute: str  # 预期性 / 约束性 / ''
    span: Span  # the row in the cleaned source (the sentence piece, for a target stated in prose)
    origin: str = "table"  # "table": a row of an indicator table; "text": stated in a sentence of the plan
    # The five-year plan a value's column names instead of a year (“十四五”现状值 → 十四五, “十五五”目标 →
    # 十五五); its year above is that plan's last. Such a value may be the plan's five-year total (新建绿地
    # 90.87 万平方米 over 十四五), so it is shown under the plan's name, never as a figure of that year alone.
    baseline_period: str = ""
    target_period: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Indicator:
        return _from_json(cls, data)


@dataclass(frozen=True, slots=True)
class ParsedPlan:
    """A document read and parsed: what `indexer.read_plan()` returns."""

    document: Document
    text: str  # the cleaned text all spans point into
    headings: tuple[Heading, ...]
    clauses: tuple[Clause, ...]
    indicators: tuple[Indicator, ...]
    # Side files that could not be used (a malformed <file>.meta.json): reported, ignored.
    problems: tuple = ()


def _from_json(cls, data: dict, **override):
    """Build a frozen record from JSON, turning lists back into tuples and ignoring unknown keys."""
    kwargs = {}
    for f in fields(cls):
        if f.name in override:
            kwargs[f.name] = override[f.name]
        elif f.name in data:
            value = data[f.name]
            kwargs[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)
