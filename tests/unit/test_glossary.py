"""The one glossary of Chinese labels (server/glossary.py): every stored value a person can
see has its label there, and the field app keeps no copies of its own (it imports them
from /glossary.js)."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import server.models
from server import glossary
from server.evidence.checks import FLAGS
from server.rectification.queries import UNIT_EVENTS

ROOT = Path(__file__).resolve().parents[2]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def model_enums() -> list[type[enum.Enum]]:
    found = []
    for info in pkgutil.iter_modules(server.models.__path__):
        module = importlib.import_module(f"server.models.{info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, enum.Enum)
            and value.__module__ == module.__name__
        ]
    return found


def test_the_models_really_have_enums():
    assert len(model_enums()) >= 15


@pytest.mark.parametrize("enum_class", model_enums(), ids=lambda cls: cls.__name__)
def test_every_member_of_every_model_enum_has_a_label(enum_class):
    assert enum_class.__name__ in glossary.ENUMS, f"no vocabulary for {enum_class.__name__}"
    labels = glossary.GLOSSARY[glossary.ENUMS[enum_class.__name__]]
    missing = [m.value for m in enum_class if m.value not in labels]
    assert not missing, f"{enum_class.__name__}: no label for {missing}"
    # The enum's member looks its label up directly (StrEnum keys equal their values).
    assert all(labels[m] == labels[m.value] for m in enum_class)


@pytest.mark.parametrize("enum_class", model_enums(), ids=lambda cls: cls.__name__)
def test_no_label_outlives_its_enum_member(enum_class):
    vocabulary = glossary.ENUMS[enum_class.__name__]
    if vocabulary == "records":  # also names records that are not photo parents
        return
    assert set(glossary.GLOSSARY[vocabulary]) == {m.value for m in enum_class}


def test_codes_kept_as_strings_have_labels():
    from server.evidence.imaging import ImageRefused
    from server.rectification.colour import COLOURS

    assert set(glossary.PHOTO_FLAGS) == set(FLAGS)
    assert set(glossary.COLOURS) == set(COLOURS)
    assert set(UNIT_EVENTS) <= set(glossary.AUDIT_ACTIONS)
    assert ImageRefused("too_many_pixels").message == glossary.PHOTO_REFUSALS["too_many_pixels"]


def test_labels_are_text_and_distinct_within_a_vocabulary():
    for name, labels in glossary.GLOSSARY.items():
        assert labels and all(isinstance(k, str) and k for k in labels), name
        assert all(isinstance(v, str) and v.strip() for v in labels.values()), name
        assert len(set(labels.values())) == len(labels), f"{name}: two values share a label"


def test_the_wording_the_domain_names():
    """DOMAIN.md's words where it names a thing (and the labels once spelt two ways)."""
    assert glossary.PLAN_MODES["sanbu_sanzhi"] == "三不三直"
    assert glossary.PLAN_MODES["sibu_liangzhi"] == "四不两直"
    assert glossary.PLAN_KINDS["cross_region"] == "异地交叉暗访"
    assert glossary.RECTIFICATION_STATUSES["closed"] == "已销号"
    assert glossary.AUDIT_ACTIONS["rectification.progress_reported"] == "报送整改进展"
    assert glossary.RECORDS["progress_report"] == "整改进展"
    assert [glossary.COLOURS[c] for c in ("red", "yellow", "green")] == ["红色", "黄色", "绿色"]


# ---- the field app keeps no copies ----

# `key: "text"` in an object literal: after `{` or `,`, the whole value a string.
ENTRY = re.compile(
    r"""[{,]\s*([A-Za-z_$][\w$]*|"[^"\n]*"|'[^'\n]*')\s*:\s*("[^"\n]*"|'[^'\n]*')\s*(?=[,}])"""
)
INNERMOST = re.compile(r"\{[^{}]*\}")
# Attributes of DOM helpers (h("span", {text: …})) are words on the screen, and a record's
# name is data (the fallback category 其他): neither is a label table.
UI_TEXT_KEYS = {"text", "title", "label", "placeholder", "alt", "aria-label", "error", "name"}


def _entries(text: str) -> list[tuple[str, str]]:
    return [(k.strip("\"'"), v[1:-1]) for k, v in ENTRY.findall(text)]


def glossary_copies(text: str) -> list[str]:
    """What in a script looks like a copy of the glossary: a value's own label; any
    glossary label as an object-literal value (other than on-screen text of a DOM
    helper); or a table of Chinese labels for two or more values of one vocabulary, making
    at least half of the table (a copy that drifted; a device-only table whose keys happen
    to share a few words with a vocabulary is not one)."""
    labels = {v for vocabulary in glossary.GLOSSARY.values() for v in vocabulary.values()}
    found = []
    for key, value in _entries(text):
        own = any(vocabulary.get(key) == value for vocabulary in glossary.GLOSSARY.values())
        if own or (value in labels and key not in UI_TEXT_KEYS):
            found.append(f"{key}: {value}")
    for block in INNERMOST.findall(text):
        chinese = {k for k, v in _entries(block) if CHINESE.search(v)}
        for name, vocabulary in glossary.GLOSSARY.items():
            shared = chinese & set(vocabulary)
            if len(shared) >= 2 and 2 * len(shared) >= len(chinese):
                found.append(f"a table of {name}: {sorted(chinese & set(vocabulary))}")
    return sorted(set(found))


def test_the_scanner_finds_what_it_looks_for():
    assert glossary_copies('export const S = { low: "一般", medium: "较重", high: "严重" };')
    assert glossary_copies(
        'const P = {\n  draft: "草稿", approved: "已批准", active: "进行中",\n};'
    )
    assert glossary_copies('const X = { ok: "复查通过" };')
    assert glossary_copies("const F = { accuracy_m: '精度(米)', lat: '纬度' };")
    # On-screen words and sentences are not copies.
    assert not glossary_copies('h("h2", { text: "到场签到" }), h("p", { class: "a" })')
    assert not glossary_copies('const s = visit ? "再次签到" : "到场签到";')
    assert not glossary_copies('const N = { online: "在线", offline: "离线" };')
    device_states = 'const D = { pending: "等待同步", sending: "正在发送", synced: "已同步",'
    assert not glossary_copies(device_states + ' done: "已上传", refused: "无法识别" };')
    assert not glossary_copies('put({ ...item, error: "服务器上的记录已被修改,需要选择" })')
    assert not glossary_copies("const O = { ...GLOSSARY.verification_opinions, '': '不确定' };")


def test_the_field_app_has_no_copies_of_the_glossary():
    scripts = sorted((ROOT / "pwa").rglob("*.js"))
    assert len(scripts) > 15  # the folder really was read
    found = {
        str(p.relative_to(ROOT)): hits
        for p in scripts
        if (hits := glossary_copies(p.read_text(encoding="utf-8")))
    }
    assert not found, found
