"""Local information: the partnership's contacts, set once by a deployment and shown where pages ask for them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from induction.config import ROOT
from induction.content import local
from induction.content.cli import content as content_cli
from induction.content.loader import load
from induction.content.local import LocalInformationUnset
from induction.extensions import db

from .conftest import TEST_CONTENT, make_app

SECTION = "modules/02-staying-safe/01-safety.md"
FRONT_DOOR = "the Riverside front door on [0300 000 0000](https://example.org/front-door)"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the test content whose safety section asks for the front door (line 9) and the LADO (line 10)."""
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, target)
    page = target / SECTION
    page.write_text(page.read_text() + "\nCall {{ local.front_door }} today.\nOr {{local.lado}}.\n")
    return target


def settings(tree: Path, text: str) -> None:
    (tree / "local.yml").write_text(text)


def safety_html(tree: Path) -> str:
    catalogue, faults = load(tree)
    assert faults == []
    return catalogue.modules[1].sections[0].html


def test_a_set_value_takes_the_placeholders_place_as_markdown(tree: Path) -> None:
    settings(tree, f'front_door: "{FRONT_DOOR}"\n')
    html = safety_html(tree)
    assert 'Call the Riverside front door on <a href="https://example.org/front-door">0300 000 0000</a> today.' in html
    assert "{{" not in html


def test_an_unset_value_shows_an_honest_fallback_and_is_listed_as_unset(tree: Path) -> None:
    settings(tree, f'front_door: "{FRONT_DOOR}"\nlado: ""\n')
    catalogue, faults = load(tree)
    assert faults == []
    html = catalogue.modules[1].sections[0].html
    assert "ask your designated safeguarding lead for the contact; this site has not set it yet" in html
    assert catalogue.local.unset == ("lado",)
    assert [(p.key, p.line) for p in catalogue.local.uses] == [("front_door", 9), ("lado", 10)]


def test_no_file_means_nothing_is_set(tree: Path) -> None:
    catalogue, faults = load(tree)
    assert faults == []
    assert catalogue.local.unset == ("front_door", "lado")
    assert "0300" not in catalogue.modules[1].sections[0].html  # never a made-up number


def test_a_value_is_sanitised_like_the_rest_of_the_page(tree: Path) -> None:
    settings(tree, 'front_door: "<script>alert(1)</script> 0300 000 0000"\n')
    html = safety_html(tree)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_value_with_a_link_that_is_not_allowed_is_a_fault_in_the_settings_file(tree: Path) -> None:
    settings(tree, "partnership: Riverside\nfront_door: '[Call](javascript:alert(1))'\n")
    faults = [str(f) for f in load(tree)[1]]
    assert any(f.endswith("local.yml:2: 'front_door': link uses a scheme that is not allowed") for f in faults), faults


def test_an_unknown_placeholder_is_a_fault_at_its_line(tree: Path) -> None:
    page = tree / SECTION
    page.write_text(page.read_text() + "Ask {{ local.social_worker }}.\n")
    faults = [str(f) for f in load(tree)[1]]
    assert len(faults) == 1
    assert f"{SECTION}:11: unknown local information '{{{{ local.social_worker }}}}': use one of " in faults[0]
    assert "local.front_door" in faults[0]


def test_an_unknown_key_in_the_settings_file_is_a_fault(tree: Path) -> None:
    settings(tree, "partnership: Riverside\nfrontdoor: 0300\n")
    faults = [str(f) for f in load(tree)[1]]
    keys = ", ".join(local.LOCAL_KEYS)
    assert any(f.endswith(f"local.yml:2: unknown key 'frontdoor': the keys are {keys}") for f in faults), faults


def test_a_quiz_cannot_show_local_information(tree: Path) -> None:
    path = tree / "quizzes/staying-safe.yml"
    path.write_text(path.read_text().replace("Because s1.", "Because s1. Call {{ local.front_door }}."))
    faults = [str(f) for f in load(tree)[1]]
    assert any("staying-safe.yml:" in f and "a quiz cannot show local information" in f for f in faults), faults


def test_content_check_warns_for_each_unset_key_but_passes(tree: Path) -> None:
    settings(tree, f'front_door: "{FRONT_DOOR}"\n')
    result = CliRunner().invoke(content_cli, ["check", "--dir", str(tree)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"warning: local.lado is not set in {tree / 'local.yml'}; ")
    assert f"{SECTION}:10 show" in warnings[0]


def test_the_local_information_setting_names_another_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tree.parent / "partnership.yml"
    elsewhere.write_text(f'front_door: "{FRONT_DOOR}"\nlado: "Riverside LADO team"\n')
    monkeypatch.setenv("LOCAL_INFORMATION", str(elsewhere))
    result = CliRunner().invoke(content_cli, ["check", "--dir", str(tree)])
    assert result.exit_code == 0
    assert "warning:" not in result.output


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


def test_production_refuses_to_start_while_a_used_key_is_unset(tree: Path, database_url: str) -> None:
    settings(tree, f'front_door: "{FRONT_DOOR}"\n')
    with pytest.raises(LocalInformationUnset, match=r"not set: local\.lado\. Production refuses to start"):
        make_app(database_url, ENV="production", CONTENT_DIR=str(tree))


def test_production_refuses_the_demo_values(tree: Path, database_url: str) -> None:
    settings(tree, f'demo: true\nfront_door: "{FRONT_DOOR}"\nlado: "Demo LADO"\n')
    with pytest.raises(LocalInformationUnset, match="demo"):
        make_app(database_url, ENV="production", CONTENT_DIR=str(tree))


def test_production_starts_when_unset_keys_are_explicitly_allowed(tree: Path, database_url: str) -> None:
    app = make_app(database_url, ENV="production", CONTENT_DIR=str(tree), ALLOW_UNSET_LOCAL_INFORMATION=True)
    _dispose(app)


def test_production_starts_when_every_used_key_is_set(tree: Path, database_url: str) -> None:
    settings(tree, f'front_door: "{FRONT_DOOR}"\nlado: "Riverside LADO team"\n')
    app = make_app(database_url, ENV="production", CONTENT_DIR=str(tree))
    _dispose(app)


def test_the_demo_values_say_they_are_examples_and_hold_no_number() -> None:
    path = ROOT / "content" / local.FILE_NAME
    values, demo, faults = local.read(path, str(path))
    assert faults == []
    assert demo is True
    assert set(values) == set(local.LOCAL_KEYS)
    for value in values.values():
        assert "example only" in value
        assert not any(character.isdigit() for character in value)
