"""The arXiv taxonomy kept as data: every current category, both ways."""

from papernotes import taxonomy


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
