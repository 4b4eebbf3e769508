"""The Lua side: French typography (every format, Quarto too) and the Quarto ``fact`` shortcode extension."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cufstudy.render.engine import pandoc_path
from cufstudy.resources import template_path

TYPO = template_path("filters/typography-fr.lua")
FACT_LUA = template_path("fact.lua")
NBSP = "\u00a0"
NNBSP = "\u202f"


def _pandoc(
    markdown: str, *args: str, to: str = "plain", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [pandoc_path(), "-f", "markdown", "-t", to, "--wrap=none", *args],
        input=markdown,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def _typo(markdown: str, to: str = "plain") -> str:
    proc = _pandoc(markdown, f"--lua-filter={TYPO}", to=to)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_french_spaces_before_signs_and_inside_guillemets() -> None:
    assert _typo("Bonjour : « oui » !") == f"Bonjour{NBSP}: «{NBSP}oui{NBSP}»{NNBSP}!"
    assert _typo("Vraiment? Oui; enfin!") == f"Vraiment{NNBSP}? Oui{NNBSP}; enfin{NNBSP}!"
    assert _typo("Note: «ok»") == f"Note{NBSP}: «{NBSP}ok{NBSP}»"


def test_quotes_become_guillemets() -> None:
    assert _typo("Il dit \"bonjour\" et 'salut'.") == f"Il dit «{NBSP}bonjour{NBSP}» et “salut”."


def test_guillemets_inside_guillemets_become_english_quotes_and_a_percent_gets_its_space() -> None:
    assert _typo("la modalité « dispositifs « 1 % » eau » : 6 cas") == (
        f"la modalité «{NBSP}dispositifs “1{NNBSP}%” eau{NBSP}»{NBSP}: 6 cas"
    )
    assert _typo("« a » et « b »") == f"«{NBSP}a{NBSP}» et «{NBSP}b{NBSP}»"  # side by side: not nested


@pytest.mark.parametrize(
    "text",
    ["Il est 10:30.", "Voir https://example.org/?a=1 ici.", "Le ratio 1:2 tient."],
)
def test_tokens_are_left_alone(text: str) -> None:
    assert _typo(text) == text


def test_code_and_urls_untouched() -> None:
    out = _typo("`a : b ?` et [lien](https://x.org/?q=1) !", to="html")
    assert "<code>a : b ?</code>" in out
    assert 'href="https://x.org/?q=1"' in out
    assert f"</a>{NNBSP}!" in out


def test_signs_and_quotes_inside_emphasis_links_and_notes_are_set_too() -> None:
    """The filter leaves a list of inlines without a sign or a quotation as it is: what is nested in one (an
    emphasis, a link's text, a note) is still set, and a quotation is one even with no sign beside it."""
    assert _typo("*Attention!* et **« Aude-Hauts »**") == f"Attention{NNBSP}! et «{NBSP}Aude-Hauts{NBSP}»"
    assert _typo("Voir [l’étude: CUF](https://x.org) 'Saint-Étienne'") == (
        f"Voir l’étude{NBSP}: CUF “Saint-Étienne”"
    )
    assert _typo("Texte[^1]\n\n[^1]: Note de l’Aude!", to="html").count(f"l’Aude{NNBSP}!") == 1
    assert _typo("sans aucun signe, l’Hérault") == "sans aucun signe, l’Hérault"


def test_idempotent() -> None:
    once = _typo("Bonjour : « oui » ! Vraiment ?")
    assert _typo(once) == once


@pytest.mark.parametrize("to", ["typst", "docx", "html"])
def test_applies_in_every_format(to: str, tmp_path: Path) -> None:
    out = tmp_path / f"out.{to}"
    proc = _pandoc("Bonjour !", f"--lua-filter={TYPO}", "-o", str(out), to=to)
    assert proc.returncode == 0, proc.stderr
    if to == "docx":
        import zipfile

        text = zipfile.ZipFile(out).read("word/document.xml").decode()
    else:
        text = out.read_text(encoding="utf-8")
    assert f"Bonjour{NNBSP}!" in text or (to == "typst" and f"Bonjour{NNBSP}!" in text.replace("~", NBSP))


HARNESS = """
quarto = { project = { directory = os.getenv("PROJECT_DIR") } }
local shortcodes = dofile(os.getenv("FACT_LUA"))
function Str(el)
  local key = el.text:match("^FACT:(.+)$")
  if key then
    return shortcodes["fact"]({ pandoc.Inlines({ pandoc.Str(key) }) }, {}, {})
  end
end
"""


def _fact(tmp_path: Path, key: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "_build").mkdir(exist_ok=True)
    facts = {
        "facts": {
            "n_cases": {"key": "n_cases", "value": 19, "label": "Cas", "unit": None, "text": "19", "source": None},
            "budget.total": {
                "key": "budget.total",
                "value": 1234567,
                "label": "Budget",
                "unit": "€",
                "text": f"1{NNBSP}234{NNBSP}567{NBSP}€",
                "source": None,
            },
        }
    }
    (tmp_path / "_build" / "facts.json").write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    harness = tmp_path / "harness.lua"
    harness.write_text(HARNESS, encoding="utf-8")
    env = {"PROJECT_DIR": str(tmp_path), "FACT_LUA": str(FACT_LUA), "PATH": "/usr/bin:/bin"}
    return _pandoc(f"Budget : FACT:{key} (fin)", f"--lua-filter={harness}", env=env)


def test_quarto_fact_shortcode_prints_the_text(tmp_path: Path) -> None:
    proc = _fact(tmp_path, "budget.total")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Budget : 1{NNBSP}234{NNBSP}567{NBSP}€ (fin)"


def test_quarto_fact_shortcode_fails_on_missing_fact(tmp_path: Path) -> None:
    proc = _fact(tmp_path, "total")
    assert proc.returncode != 0
    assert "unknown fact 'total'" in proc.stderr
    assert "did you mean budget.total" in proc.stderr


def test_quarto_fact_shortcode_reads_the_text_as_the_prose_so_the_typography_filter_sets_it(tmp_path: Path) -> None:
    """The fact's text becomes words and spaces with ’ (pandoc's Markdown reader, as the embedded engine reads
    it), its Markdown signs literal; the typography filter after it spaces its ; and % the French way."""
    (tmp_path / "_build").mkdir()
    text = "aucun n'a encore été mené ; les *fiches* [x] 12 %"
    facts = {"facts": {"terrain.summary": {"key": "terrain.summary", "text": text}, "lead": {"text": "2019. un an"}}}
    (tmp_path / "_build" / "facts.json").write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    harness = tmp_path / "harness.lua"
    harness.write_text(HARNESS, encoding="utf-8")
    env = {"PROJECT_DIR": str(tmp_path), "FACT_LUA": str(FACT_LUA), "PATH": "/usr/bin:/bin"}
    proc = _pandoc(
        "Terrain : FACT:terrain.summary et FACT:lead", f"--lua-filter={harness}", f"--lua-filter={TYPO}", env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        f"Terrain{NBSP}: aucun n’a encore été mené{NNBSP}; les *fiches* [x] 12{NNBSP}% et 2019. un an"
    )


CITE_METHOD = """
quarto = { doc = { cite_method = function() return os.getenv("CITE_METHOD") end } }
return dofile(os.getenv("CITATIONS_LUA"))
"""


def test_citations_filter_resolves_them_before_the_typography_and_leaves_the_last_citeproc_nothing(
    tmp_path: Path,
) -> None:
    """As Quarto orders them: citations.lua, typography-fr.lua, then citeproc last. The bibliography's titles
    get the French spaces, the citations stay spans with their keys, nothing is printed twice."""
    (tmp_path / "refs.bib").write_text(
        "@book{dcol, title={Termes de référence : l'étude}, author={Dupont, Jean}, year={2020}}\n", encoding="utf-8"
    )
    setup = tmp_path / "quarto.lua"
    setup.write_text(CITE_METHOD, encoding="utf-8")
    markdown = "Voir [@dcol].\n\n::: {#refs}\n:::\n"
    out = {}
    for method in ("citeproc", "natbib"):
        env = {"CITE_METHOD": method, "CITATIONS_LUA": str(template_path("filters/citations.lua")), "PATH": "/bin"}
        args = [f"--lua-filter={setup}", f"--lua-filter={TYPO}", "--citeproc"]
        proc = subprocess.run(
            [pandoc_path(), "-f", "markdown", "-t", "html", "--wrap=none", "--bibliography=refs.bib", *args],
            input=markdown, capture_output=True, text=True, check=False, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        out[method] = proc.stdout
    html = out["citeproc"]
    assert f"termes de référence{NBSP}: l’étude" in html.lower()  # typeset after citeproc
    assert html.lower().count("termes de référence") == 1 and html.count("csl-entry") == 1
    assert '<span class="citation" data-cites="dcol">(Dupont 2020)</span>' in html.replace("\u00a0", " ")
    # another cite method (natbib, Typst's own): left to Quarto, the titles as citeproc writes them
    assert "termes de référence : l’étude" in out["natbib"].lower()


def test_quarto_prints_a_reference_to_an_unnumbered_section_with_its_title(tmp_path: Path) -> None:
    """cufstudy.lua (Quarto only): ``@sec-annexe`` to an unnumbered heading, for which Quarto has no number,
    prints « section « Annexe A » » linked to the heading, as the embedded engine does; a numbered one is
    left to Quarto."""
    markdown = "Voir @sec-annexe et @sec-methode.\n\n# Méthode {#sec-methode}\n\n# Annexe A {#sec-annexe .unnumbered}\n"
    cufstudy = template_path("cufstudy.lua")
    html = _pandoc(markdown, f"--lua-filter={cufstudy}", to="html")
    assert html.returncode == 0, html.stderr
    assert f'<a href="#sec-annexe">section «{NBSP}Annexe A{NBSP}»</a>' in html.stdout
    assert "@sec-methode" in html.stdout  # a Cite, which Quarto's crossref resolves
    typst = _pandoc(markdown, f"--lua-filter={cufstudy}", to="typst")
    assert f"section «{NBSP}Annexe A{NBSP}»" in typst.stdout.replace("~", NBSP)
    assert "#link(<sec-annexe>)" not in typst.stdout  # Quarto writes that heading without its label
