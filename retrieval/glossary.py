"""English → Chinese terms of the plan domain, so English questions reach Chinese clauses.

The bundled embedder is weak across languages and BM25 sees no shared words at all; adding the Chinese
terms an English question names (patent pledge → 专利 质押) lets both retrievers work. Longest phrases
match first; matching is case-insensitive on word boundaries.
"""

from __future__ import annotations

import functools
import re

TERMS: dict[str, str] = {
    # regions
    "qinghai": "青海", "shanxi": "山西", "tai'an": "泰安", "taian": "泰安", "bortala": "博尔塔拉 博州",
    "xinjiang": "新疆", "shandong": "山东", "province": "省", "prefecture": "州", "city": "市",
    # rights and objects
    "intellectual property": "知识产权", "ip": "知识产权", "ipr": "知识产权", "patent": "专利", "patents": "专利",
    "invention patent": "发明专利", "invention patents": "发明专利", "high-value": "高价值", "high value": "高价值",
    "trademark": "商标", "trademarks": "商标", "brand": "品牌", "brands": "品牌", "copyright": "版权 著作权",
    "copyrights": "版权 著作权", "works": "作品", "geographical indication": "地理标志",
    "geographical indications": "地理标志", "plant variety": "植物新品种", "plant varieties": "植物新品种",
    "plant variety rights": "植物新品种", "trade secret": "商业秘密", "trade secrets": "商业秘密",
    "layout design": "布图设计", "integrated circuit": "集成电路", "domain name": "域名", "data": "数据",
    "traditional knowledge": "传统知识", "intangible cultural heritage": "非物质文化遗产", "folk": "民间文艺",
    # protection and enforcement
    "protection": "保护", "protect": "保护", "enforcement": "执法", "administrative": "行政", "judicial": "司法",
    "court": "法院 审判", "courts": "法院 审判", "trial": "审判", "prosecution": "检察", "police": "公安",
    "customs": "海关", "border": "海关 进出口", "import": "进出口", "export": "进出口", "counterfeit": "假冒",
    "counterfeits": "假冒", "counterfeiting": "假冒 侵权假冒", "fake": "假冒", "piracy": "盗版", "infringement": "侵权",
    "infringe": "侵权", "punitive damages": "惩罚性赔偿", "damages": "赔偿", "dispute": "纠纷", "disputes": "纠纷",
    "mediation": "调解", "arbitration": "仲裁", "rights protection": "维权", "assistance": "援助",
    "rapid protection": "快速维权 快保护", "fast-track": "快速 优先审查", "fast track": "快速 优先审查",
    "examination": "审查", "priority examination": "优先审查", "evidence": "证据", "electronic evidence": "电子证据",
    "blockchain": "区块链", "timestamp": "时间戳", "timestamps": "时间戳", "notarization": "公证",
    "e-commerce": "电商 电子商务", "online": "网络 电商", "internet": "互联网 网络", "overseas": "海外",
    "foreign-related": "涉外", "abroad": "海外", "international": "国际", "early warning": "预警",
    "bad faith": "恶意", "malicious": "恶意", "squatting": "抢注 恶意注册", "hoarding": "囤积 恶意注册",
    "credit": "信用", "blacklist": "黑名单 失信", "supervision": "监管", "regulation": "监管 条例",
    # use and finance
    "pledge": "质押", "pledged": "质押", "loan": "贷款 质押融资", "loans": "贷款 质押融资", "patent-backed": "专利质押",
    "financing": "融资", "finance": "金融", "financial": "金融", "bank": "银行", "banks": "银行",
    "insurance": "保险", "securitization": "证券化", "guarantee": "担保", "risk compensation": "风险补偿",
    "valuation": "评估", "evaluation": "评估", "transfer": "转移转化 转让", "transformation": "转化",
    "commercialization": "转化 运用", "licensing": "许可", "license": "许可", "operation": "运营", "operations": "运营",
    "patent navigation": "专利导航", "patent-intensive": "专利密集型", "industry": "产业", "industries": "产业",
    "key industries": "重点产业", "enterprise": "企业", "enterprises": "企业", "company": "企业", "companies": "企业",
    "sme": "中小企业", "smes": "中小企业", "small and medium": "中小企业", "universities": "高校", "university": "高校",
    "research institutes": "科研院所 院所", "agriculture": "农业", "agricultural": "农产品 农业",
    # services and capacity
    "public service": "公共服务", "public services": "公共服务", "service": "服务", "services": "服务",
    "platform": "平台", "platforms": "平台", "information": "信息", "agency": "代理 服务机构", "agencies": "代理 服务机构",
    "talent": "人才", "talents": "人才", "training": "培训 培养", "train": "培训 培养", "team": "队伍",
    "education": "教育", "publicity": "宣传", "awareness": "意识 宣传", "culture": "文化", "think tank": "智库",
    "cooperation": "合作", "exchange": "交流",
    # governance
    "target": "目标", "targets": "目标 指标", "goal": "目标", "goals": "目标", "indicator": "指标",
    "indicators": "指标", "by 2025": "到2025年", "2025": "2025年", "2035": "2035年", "per 10,000": "每万人口",
    "per ten thousand": "每万人口", "number": "数量 拥有量", "owned": "拥有量", "satisfaction": "满意度",
    "department": "部门", "departments": "部门", "responsible": "负责", "lead": "牵头", "leads": "牵头",
    "leading": "牵头", "coordination": "协调", "coordinate": "协调", "organization": "组织", "leadership": "领导",
    "funding": "资金 投入", "funds": "资金", "budget": "财政 预算", "assessment": "考核 评估", "evaluate": "评估",
    "monitoring": "监测", "implementation": "实施", "plan": "规划", "plans": "规划", "opinions": "实施意见",
    "regulations": "条例", "law": "法", "legislation": "立法", "policy": "政策", "policies": "政策",
    "valid": "有效", "effective": "有效", "market": "市场", "business environment": "营商环境", "innovation": "创新", "high-quality": "高质量",
}

_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    phrases = sorted(TERMS, key=len, reverse=True)
    return re.compile(r"(?<![a-z])(" + "|".join(re.escape(p) for p in phrases) + r")(?![a-z])", re.IGNORECASE)


def is_english(text: str) -> bool:
    """Mostly Latin words: at least two, and more Latin letters than Chinese characters."""
    words = _ASCII_WORD.findall(text)
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len(words) >= 2 and sum(map(len, words)) > cjk


# English function words (a closed class): they carry no topic, so they neither need nor get a translation.
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at for from by with without about into over under and or but not no nor is are was were "
    "be been being do does did done will would shall should can could may might must has have had having it its "
    "this that these those there their they them he she his her we our you your i me my what which who whom whose "
    "when where why how whether if than then so such as any all each every some more most many much other also "
    "up out only very just".split()
)


def translated_share(text: str) -> float:
    """The share of an English text's content words that the glossary turns into Chinese terms: how much
    the lexical side (which sees only those terms) knows of the question."""
    lowered = text.lower().replace("’", "'")
    words = [w for w in re.findall(r"[a-z][a-z'-]+", lowered) if w not in _FUNCTION_WORDS]
    if not words:
        return 0.0
    covered = set()
    for m in _pattern().finditer(lowered):
        covered.update(re.findall(r"[a-z][a-z'-]+", m.group(1)))
    return sum(1 for w in words if w in covered) / len(words)


def chinese_terms(text: str) -> str:
    """The Chinese terms an English text names, in order of appearance, without repeats."""
    seen: list[str] = []
    for m in _pattern().finditer(text.lower().replace("’", "'")):
        for term in TERMS[m.group(1).lower()].split():
            if term not in seen:
                seen.append(term)
    return " ".join(seen)
