"""Plain-language words → the words plans use (冒牌货 → 假冒, 贷款 → 质押融资, 当官的 → 领导干部).

Officials ask in everyday Chinese; plans are written in policy language. BM25 cannot bridge the two and
the small bundled embedder bridges them only partly, so the lexical query is expanded with the policy
terms a plain word stands for. The list is general to IP plans (not tied to one document); extend it
freely — each entry only ever adds terms to the lexical query.
"""

from __future__ import annotations

import functools
import re

PLAIN_TO_POLICY: dict[str, str] = {
    # goods, fakes, infringement
    "冒牌": "假冒 侵权假冒", "山寨": "假冒 侵权假冒", "假货": "假冒 侵权假冒", "仿冒": "假冒", "盗版": "盗版 侵权",
    "抄袭": "侵权", "偷": "侵犯 窃取", "泄露": "泄露 商业秘密", "技术秘密": "商业秘密", "抢注": "恶意注册 抢注",
    "乱注册": "恶意注册", "囤积": "囤积 恶意注册", "告侵权": "侵权 纠纷 诉讼", "被告": "诉讼 纠纷", "打官司": "诉讼 司法",
    "吃官司": "诉讼 纠纷", "赔钱": "赔偿", "赔得少": "赔偿 惩罚性赔偿", "罚": "处罚 惩戒", "黑名单": "黑名单 失信 联合惩戒",
    "一再侵权": "重复侵权 故意侵权", "屡次": "重复侵权", "网上卖": "电商 网络 电子商务", "网店": "电商 电子商务",
    "网购": "电商", "直播带货": "电商 新业态", "进出口": "海关 进出口", "过海关": "海关", "出口": "海关 进出口 海外",
    # courts, evidence, speed
    "拖得太久": "效率 繁简分流 快审", "太慢": "效率 快速", "快点": "快速 繁简分流", "简单的案子": "繁简分流 简易",
    "证据难": "举证 证据", "取证": "证据 举证", "固定证据": "证据 存证", "电子证据": "电子证据 区块链 存证",
    "法院": "法院 司法 审判", "警察": "公安", "调解": "调解 纠纷", "吵架": "纠纷", "扯皮": "纠纷",
    # money
    "贷款": "质押融资 贷款", "借钱": "融资 贷款", "融资难": "融资", "银行": "银行 金融机构", "钱从哪里来": "资金 财政 投入 保障",
    "钱": "资金 财政 投入", "经费": "资金 经费 投入", "补贴": "资助 奖励 补助 政策", "奖励": "奖励 资助", "变成钱": "转化 运用 价值",
    "卖专利": "转让 许可 转化", "没人用": "转化 闲置 沉睡专利", "躺着": "沉睡专利 闲置", "值钱": "价值 高价值", "保险": "保险",
    "入股": "作价入股 出资",
    # who and how
    "当官的": "领导干部 干部", "领导": "领导干部", "干部": "领导干部 干部", "公务员": "干部 执法人员", "老百姓": "社会公众 群众",
    "满不满意": "满意度", "满意": "满意度", "认识": "意识 认识 培训", "不懂": "培训 意识", "培训": "培训 培养",
    "学校": "高校 教育", "大学": "高校", "学生": "青少年 教育", "中小学": "中小学 青少年", "科学家": "科研人员",
    "研究所": "科研院所", "大企业": "龙头企业 骨干企业", "小企业": "中小企业 小微企业", "小公司": "中小企业 小微企业",
    "出海": "海外 涉外 走出去", "外国": "海外 涉外 国际", "国外": "海外 涉外 国际", "帮忙": "援助 指导 服务",
    "帮": "援助 服务", "中介": "代理 服务机构", "代理公司": "代理机构", "乱来": "监管 整治 违法违规", "管": "监管",
    "查": "查处 执法", "谁来查": "执法 查处", "兵团": "兵地 兵团", "一起干": "融合 协作 合作",
    # things and fields
    "新行业": "新领域 新业态", "新技术": "新领域 新业态", "大数据": "大数据 数据", "人工智能": "人工智能 新领域",
    "牌子": "品牌 商标", "名牌": "品牌 知名品牌", "土特产": "特色农产品 地理标志", "农产品": "农产品 地理标志 品牌",
    "卖到全国": "品牌 推介 市场", "卖出去": "推介 市场", "老品牌": "老字号", "作品": "作品 版权 著作权",
    "登记作品": "作品登记 版权", "版权": "版权 著作权", "写书": "著作权 版权", "歌曲": "版权", "软件": "软件 版权",
    "申请专利": "专利申请", "发明": "发明专利 创造", "种子": "植物新品种 种业", "新品种": "植物新品种",
    "考核": "考核 评估 督查", "检查": "督查 监督检查", "目标": "目标 指标", "多少件": "件 目标",
}


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in sorted(PLAIN_TO_POLICY, key=len, reverse=True)))


def policy_terms(simple_text: str) -> str:
    """The policy terms the plain words of a (simplified) query stand for, without repeats."""
    seen: list[str] = []
    for m in _pattern().finditer(simple_text):
        for term in PLAIN_TO_POLICY[m.group(0)].split():
            if term not in seen and term not in simple_text:
                seen.append(term)
    return " ".join(seen)
