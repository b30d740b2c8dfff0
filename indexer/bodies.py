"""The words that name public bodies, shared by the reader of headings (indexer.structure) and the reader of
departments (indexer.clauses): one list each, so that a heading's note and a clause's department agree."""

# The words a body's name ends in (…局, …厅, …部门): one list, also used to check model-written answers.
ORGAN_ENDINGS = ("部门", "局", "委员会", "委", "厅", "办公室", "政府", "机构", "机关", "中心", "法院", "检察院", "单位")
# Of those, the ones a government body ends in: 单位 / 机构 / 中心 are as often whom a regulation binds.
GOVERNMENT_ENDINGS = tuple(e for e in ORGAN_ENDINGS if e not in ("机构", "中心", "单位"))
# The labels of a list of bodies: 责任单位：A、B; 牵头 names the lead, 配合 / 参与 / 协办 the others.
LABELS = "责任单位|责任部门|牵头单位|牵头部门|主责单位|配合单位|配合部门|参与单位|协办单位"
