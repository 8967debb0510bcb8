"""An HR JSON export whose phone is a number of 5,000 digits: more than Python converts to an integer."""

from pathlib import Path


def build(root: Path) -> None:
    row = ('{"工号": "E1", "姓名": "张三", "公司编码": "BX", "部门编码": "BX-HR", "职位": "", "直属上级工号": "", '
           '"手机": ' + "1" * 5000 + ', "邮箱": "", "入职日期": "2024-01-02", "离职日期": "", "在职状态": "在职", '
           '"员工类型": "正式"}')
    (root / "hr.json").write_text("[\n" + row + "\n]\n", encoding="utf-8")
