"""The one glossary of Chinese labels (server/glossary.py): every stored value a person can
see has its label there."""

from __future__ import annotations

import enum
import importlib
import pkgutil

import pytest

import server.models
from server import glossary
from server.evidence.checks import FLAGS
from server.rectification.queries import UNIT_EVENTS


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
