"""The arXiv taxonomy kept as data: every current category, both ways."""

import json

from papernotes import taxonomy
from papernotes.categories import category_reader_name, shown_categories


def test_every_current_group_is_present_with_its_categories():
    categories = taxonomy.categories()
    assert len(categories) >= 150
    groups = {c.group for c in categories.values()}
    assert groups == {
        "Computer Science",
        "Economics",
        "Electrical Engineering and Systems Science",
        "Mathematics",
        "Physics",
        "Quantitative Biology",
        "Quantitative Finance",
        "Statistics",
    }
    # Not only the six of the sample: a few from each corner of arXiv
    for code, name in {
        "cs.CL": "Computation and Language",
        "cs.CV": "Computer Vision and Pattern Recognition",
        "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
        "hep-th": "High Energy Physics - Theory",
        "quant-ph": "Quantum Physics",
        "math.AG": "Algebraic Geometry",
        "q-bio.NC": "Neurons and Cognition",
        "q-fin.ST": "Statistical Finance",
        "econ.EM": "Econometrics",
        "eess.AS": "Audio and Speech Processing",
        "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    }.items():
        assert taxonomy.name_for(code) == name


def test_names_map_back_to_codes_only_when_unambiguous():
    assert taxonomy.code_for_name("Computation and Language") == "cs.CL"
    assert taxonomy.code_for_name("Information Retrieval") == "cs.IR"
    assert taxonomy.codes_for_name("Machine Learning") == ("cs.LG", "stat.ML")
    assert taxonomy.code_for_name("Machine Learning") is None
    assert taxonomy.code_for_name("No Such Category") is None


def test_only_arxiv_aliases_and_the_two_machine_learnings_share_a_name():
    # Given the taxonomy, when names are grouped, then exactly these are ambiguous: a name
    # outside this list maps back to its one code, one inside maps back to none.
    ambiguous = {
        "Machine Learning": ("cs.LG", "stat.ML"),
        "Information Theory": ("cs.IT", "math.IT"),
        "Numerical Analysis": ("cs.NA", "math.NA"),
        "Systems and Control": ("cs.SY", "eess.SY"),
        "Mathematical Physics": ("math-ph", "math.MP"),
        "Statistics Theory": ("math.ST", "stat.TH"),
    }
    found = {}
    for code, category in taxonomy.categories().items():
        codes = taxonomy.codes_for_name(category.name)
        if len(codes) > 1:
            found[category.name] = codes
            assert taxonomy.code_for_name(category.name) is None
        else:
            assert taxonomy.code_for_name(category.name) == code
    assert found == ambiguous


def test_unknown_code_is_shown_as_itself():
    assert taxonomy.name_for("xx.YY") == "xx.YY"


# --- Japanese names beside the codes ------------------------------------------------------


def test_every_cs_eess_and_stat_ml_category_has_a_japanese_name():
    codes = [code for code in taxonomy.categories() if code.startswith(("cs.", "eess.")) or code == "stat.ML"]
    assert len(codes) >= 44
    missing = [code for code in codes if not taxonomy.japanese_name_for(code)]
    assert missing == []
    assert taxonomy.japanese_name_for("cs.CL") == "計算と言語"


def test_a_category_without_a_japanese_name_is_shown_with_arxivs_name():
    # astro-ph.GA is a real arXiv category the site has no Japanese name for
    assert taxonomy.japanese_name_for("astro-ph.GA") is None
    assert category_reader_name("astro-ph.GA") == taxonomy.name_for("astro-ph.GA") == "Astrophysics of Galaxies"
    assert category_reader_name("cs.LG") == "機械学習"
    assert category_reader_name("xx.YY") is None
    (shown,) = shown_categories(["Astrophysics of Galaxies"], [])
    assert (shown.code, shown.reader_name) == ("astro-ph.GA", "Astrophysics of Galaxies")


def test_the_japanese_table_names_only_real_arxiv_codes():
    table = json.loads(taxonomy.JAPANESE_NAMES_FILE.read_text(encoding="utf-8"))["names"]
    assert set(table) <= set(taxonomy.categories())
