"""Personal names as a public list shows them.

The standing publicity (长期公示) of 低保 / 特困 recipients names each household by its head:
民发〔2021〕57号 第二十四条 has the county publish 申请人姓名、家庭成员数量、保障金额 in the village
and adds "信息公布应当依法保护个人隐私，不得公开无关信息". How far a name is masked on such a
list is not set by the national text (待核实: a provincial or district rule); this project keeps
the surname and the last character, which neighbours recognise and a stranger cannot search.
"""

from __future__ import annotations

MASK = "*"


def mask_name(name: str) -> str:
    """王大明 → 王*明, 王明 → 王*, 欧阳小明 → 欧**明; a single character stays."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]
