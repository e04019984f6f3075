"""The catalogue of rule settings, part two: the paperwork of issue 16 (negative-list
points, the monthly ranking, exposure copies) and clues from the public (issue 17). Part
one and the Setting type are in server/settings_catalogue.py."""

from __future__ import annotations

from server.settings_catalogue import Setting

PAPERWORK_RULES: list[Setting] = [
    Setting(
        "points_overdue",
        2,
        "负面清单:事项超期扣分(每项每月)",
        "Points deducted from a unit for an issued item past its deadline and not yet "
        "submitted for closure, once per item and calendar month (Beijing time) in which "
        "the daily points job finds it overdue. 0 turns the rule off.",
        "seed 000 五(一)",
        maximum=100,
    ),
    Setting(
        "points_returned",
        1,
        "负面清单:复查未通过被退回扣分(每次)",
        "Points deducted for each verification (desk or 回头看) that failed and returned "
        "the item to the unit, dated the day of the decision. 0 turns the rule off.",
        "seed 000 五(一)",
        maximum=100,
    ),
    Setting(
        "points_summons",
        3,
        "负面清单:被约谈扣分(每次)",
        "Points deducted for each summons (约谈) of the unit's head, dated the day it "
        "was held. 0 turns the rule off.",
        "seed 000 五(一)、五(四)",
        maximum=100,
    ),
    Setting(
        "points_red_days",
        30,
        "负面清单:红色持续天数超过此数即扣分",
        "An open item red for more than this many days (from the first day it is red "
        "with its current facts) costs points_red_long.",
        "seed 000 二(四)",
        minimum=1,
        maximum=366,
    ),
    Setting(
        "points_red_long",
        1,
        "负面清单:长期红色事项扣分(每项每月)",
        "Points deducted for an item red for more than points_red_days, once per item "
        "and calendar month in which the daily points job finds it so. 0 turns it off.",
        "seed 000 二(四)、五(一)",
        maximum=100,
    ),
    Setting(
        "points_manual_max",
        20,
        "负面清单:督查室单次手工扣分上限",
        "The most points a supervisor may deduct with one manual entry.",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "ranking_weight_on_time",
        0.6,
        "排位:按期销号率权重",
        "Weight of the on-time rate (closed on time ÷ closed) in a unit's ranking score; "
        "the two rate weights are divided by their sum (docs/bulletins.md).",
        "seed 003",
        maximum=100,
    ),
    Setting(
        "ranking_weight_closure",
        0.4,
        "排位:销号率权重",
        "Weight of the closure rate (closed ÷ items) in a unit's ranking score.",
        "seed 003",
        maximum=100,
    ),
    Setting(
        "ranking_overdue_penalty",
        5.0,
        "排位:每件超期事项扣分",
        "Score points taken off a unit's ranking score per overdue item.",
        "seed 003",
        maximum=100,
    ),
    Setting(
        "ranking_returned_penalty",
        3.0,
        "排位:每次复查退回扣分",
        "Score points taken off per return after a failed 回头看 (the items' return counts).",
        "seed 003",
        maximum=100,
    ),
    Setting(
        "ranking_points_weight",
        1.0,
        "排位:负面清单积分折算系数",
        "Score points taken off per negative-list point the unit lost in the year.",
        "seed 000, 五(一)",
        maximum=100,
    ),
    Setting(
        "ranking_red_list_score",
        85,
        "红榜最低得分",
        "A unit is on the red list (红榜) with at least this score and no overdue item.",
        "seed 003",
        maximum=100,
    ),
    Setting(
        "ranking_black_list_score",
        60,
        "黑榜得分线(低于)",
        "A unit scoring below this is on the black list (黑榜).",
        "seed 003",
        maximum=100,
    ),
    Setting(
        "ranking_list_size",
        3,
        "红榜、黑榜各列单位数上限",
        "Most units named on the red list and on the black list of a bulletin.",
        "seed 003",
        minimum=1,
        maximum=50,
    ),
    Setting(
        "exposure_min_box_px",
        8,
        "曝光副本遮挡区域最小边长(像素)",
        "Smallest width and height of a blur box a supervisor adds to an exposure copy.",
        minimum=1,
        maximum=200,
    ),
    Setting(
        "exposure_blur_blocks",
        10,
        "曝光副本遮挡马赛克块数(越小越模糊)",
        "Pixel blocks across the shorter side of a blurred box (then Gaussian-blurred); "
        "fewer is stronger. At most 16, so that no face stays recognisable.",
        minimum=2,
        maximum=16,
    ),
    Setting(
        "clue_answer_working_days",
        10,
        "线索转办答复时限(工作日)",
        "Working days a unit has to answer a clue forwarded to it (转办), counted from the "
        "day it is forwarded; the office may set another deadline per clue.",
        minimum=1,
        maximum=60,
    ),
    Setting(
        "clue_duplicate_days",
        30,
        "重复线索提示时段(天)",
        "Clues on the same topic and the same place (site, or the same place text) received "
        "within this many days of each other are suggested as duplicates; a person decides.",
        minimum=1,
        maximum=366,
    ),
]
