"""The web apps' string catalogs (api/static/{desk,crew,reports,outages}/i18n/*.js): both languages carry the same
keys and the same {placeholders}, and every key the code asks for by name is there. A key missing
in zh-CN would silently show English; one missing in both would show the key itself."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.browser import ROOT

STATIC = ROOT / "api" / "static"
LANGUAGES = ("en", "zh-CN")
#: t('key' or t("key" with a literal key (keys built from values, t(`status.${s}`), are not checked).
LITERAL_KEY = re.compile(r"""\bt\(\s*(['"])([\w.-]+)\1""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: The reports page names its columns' titles and groups by key ({title: 'sla.col.met'}): every
#: quoted dotted name in one of the catalog's namespaces ("sla.", "rel.", ...) that is not a file.
QUOTED_KEY = re.compile(r"""(['"])([a-z_]+(?:\.[\w-]+)+)\1""")
FILE = re.compile(r"\.(m?js|css|svg|html|json)$")


def catalogs(app: str) -> dict[str, dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is missing: run scripts/setup.sh")
    script = ("const out = {}; for (const lang of %s) { out[lang] = (await import('%s/' + lang + '.js')).default; }"
              " console.log(JSON.stringify(out));") % (json.dumps(LANGUAGES), (STATIC / app / "i18n").as_uri())
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def texts(value) -> list[str]:
    return list(value.values()) if isinstance(value, dict) else [value]


@pytest.mark.parametrize("app", ["desk", "crew", "reports", "outages"])
def test_both_languages_have_every_key_with_the_same_placeholders(app):
    by_language = catalogs(app)
    en, zh = by_language["en"], by_language["zh-CN"]
    assert sorted(set(en) - set(zh)) == [] and sorted(set(zh) - set(en)) == []
    for key in en:
        names = {lang: {n for text in texts(by_language[lang][key]) for n in PLACEHOLDER.findall(text)}
                 for lang in LANGUAGES}
        assert names["en"] == names["zh-CN"], key
        if isinstance(en[key], dict):
            assert "other" in en[key], key  # Intl.PluralRules' fallback form


@pytest.mark.parametrize("app", ["desk", "crew", "reports", "outages"])
def test_every_key_the_code_names_is_in_the_catalogs(app):
    known = set(catalogs(app)["en"])
    own = [*(STATIC / app).glob("*.js")]
    shared = {name for path in own for name in re.findall(r"from '\./common/(\w+)\.js'", path.read_text())}
    code = own + [STATIC / "common" / f"{name}.js" for name in shared | {"i18n"}]
    named = {(path.name, match[1]) for path in code for match in LITERAL_KEY.findall(path.read_text())}
    assert named, "no t('...') found: the pattern no longer matches the code"
    assert sorted((name, key) for name, key in named if key not in known) == []


def test_every_key_the_reports_page_names_as_a_column_is_in_the_catalogs():
    known = set(catalogs("reports")["en"])
    namespaces = {key.split(".")[0] for key in known}
    named = {(path.name, match[1]) for path in (STATIC / "reports").glob("*.js")
             for match in QUOTED_KEY.findall(path.read_text())
             if not FILE.search(match[1]) and match[1].split(".")[0] in namespaces}
    assert ("sla.js", "sla.col.missed") in named, "the pattern no longer matches the code"
    assert sorted((name, key) for name, key in named if key not in known) == []
