"""Fictitious people: Chinese names, valid-checksum ID numbers of a fictitious county, phones.

The county code 519901 does not exist (51 Sichuan, prefecture 99 is unused), so no generated ID
number can belong to a real person, yet every one passes the GB 11643 checksum.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from clinic_tui.domain.age import completed_years
from clinic_tui.domain.idnumber import check_character

COUNTY_CODE = "519901"
COUNTY_NAME = "示范县"
TOWNSHIP = ("519901101", "石桥镇")
VILLAGES = [
    ("519901101201", "青石村"),
    ("519901101202", "柳湾村"),
    ("519901101203", "桃源村"),
    ("519901101204", "河坝村"),
]
DIVISION_VERSION = "2024"

# Common surnames with rough weights, including ones whose surname reading differs (曾 单 解 区 仇).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
    "武戴莫孔向汤单解仇区查翟朴盖缪乐"
)
SURNAME_WEIGHTS = [max(1, 60 - i // 2) for i in range(len(SURNAMES))]
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛", "尉迟"]
GIVEN_MALE = "伟强军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆建国志德福贵成林文龙海春祥永"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英兰萍燕红梅琴云莲凤洁琳慧丹婷雪玉珍翠"
UYGHUR_NAMES = ["买买提·艾力", "阿依古丽·吐尔逊", "艾尔肯·热合曼"]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "187",
    "188",
    "189",
    "199",
]


def person_name(rng: random.Random, sex: str) -> str:
    roll = rng.random()
    if roll < 0.004:
        return rng.choice(UYGHUR_NAMES)
    surname = rng.choice(COMPOUND_SURNAMES) if roll < 0.02 else rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    pool = GIVEN_MALE if sex == "1" else GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.35 else 2))
    return surname + given


def birth_date(rng: random.Random, today: date) -> date:
    # A village population: many elderly, working-age adults often away, some children.
    age = rng.choices(
        [rng.randint(0, 6), rng.randint(7, 17), rng.randint(18, 44), rng.randint(45, 64), rng.randint(65, 95)],
        [8, 10, 22, 30, 30],
    )[0]
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def citizen_id(rng: random.Random, born: date, sex: str, address_code: str = COUNTY_CODE) -> str:
    sequence = rng.randint(0, 499) * 2 + (1 if sex == "1" else 0)  # odd male, even female
    body = f"{address_code}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


age_on = completed_years
