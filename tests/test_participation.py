"""Participation and weighting schemes (issue #21): response rates, groups not reached,
the respondents' mix, post-stratification and raking against R's survey package."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from toolkit.catalog import make_weighting, run_analysis
from toolkit.errors import DataValidationError, StoreError
from toolkit.participation import (
    _PARTICIPATION,
    cell_weights,
    design_effect,
    participation,
    post_stratify,
    rake,
    respondent_rows,
    weighting_cells,
)
from toolkit.store import Engagement

# ------------------------------------------------------------------ published examples
#
# R's survey package, tests/rakecheck.R: rake(dclus1, list(~stype, ~sch.wide),
# list(pop.types, pop.schwide)) on the apiclus1 data, with
#   pop.types   = stype    E 4421, H 755, M 1018
#   pop.schwide = sch.wide No 1072, Yes 5122.
# apiclus1's 183 schools fall in the stype x sch.wide cells below (all with the same
# sampling weight, pw = 33.847), and R gives each cell the weight below: the weights R
# computed, as exported by Survey.jl's R reference (test/r_reference/rake_weights.csv,
# one weight per school; R 641.23 for svymean(~api00) matches rakecheck.Rout.save).
APICLUS1_CELLS = {
    ("E", "Yes"): (132, 29.8704638727345),
    ("E", "No"): (12, 39.838509410554),
    ("M", "Yes"): (17, 36.7921816646831),
    ("M", "No"): (8, 49.0700673992951),
    ("H", "Yes"): (11, 50.3301527726748),
    ("H", "No"): (3, 67.1257826263303),
}
POP_TYPES = {"E": 4421, "H": 755, "M": 1018}
POP_SCHWIDE = {"No": 1072, "Yes": 5122}
# postStratify(dclus1, ~stype, pop.types): one weight per stype, N_h / n_h
# (Survey.jl test/r_reference/poststratify_weights.csv).
R_POSTSTRATIFY = {"E": 30.7013888888889, "H": 53.9285714285714, "M": 40.72}


def _apiclus1() -> pd.DataFrame:
    rows = [
        {"stype": s, "sch_wide": w, "r_weight": r}
        for (s, w), (n, r) in APICLUS1_CELLS.items()
        for _ in range(n)
    ]
    return pd.DataFrame(rows)


def test_raking_matches_r_survey_rake():
    schools = _apiclus1()
    assert len(schools) == 183
    weights = rake(
        schools, by=["stype", "sch_wide"], targets={"stype": POP_TYPES, "sch_wide": POP_SCHWIDE}
    )
    assert weights.mean() == pytest.approx(1.0)
    # Ours average 1; R's add up to the population (6194). R's rake stops once the
    # weights change by less than its epsilon (1), a few parts in 100,000 short of the
    # fixed point this one reaches, hence the tolerance.
    scaled = weights * sum(POP_TYPES.values()) / len(schools)
    np.testing.assert_allclose(scaled, schools["r_weight"], rtol=2e-4)
    totals = pd.Series(scaled).groupby(schools["stype"]).sum()
    assert totals.to_dict() == pytest.approx(POP_TYPES, rel=1e-9)


def test_post_stratification_matches_r_survey_poststratify():
    schools = _apiclus1()
    weights = post_stratify(schools, by="stype", targets=POP_TYPES)
    scaled = pd.Series(weights * 6194 / 183).groupby(schools["stype"]).first()
    assert scaled.to_dict() == pytest.approx(R_POSTSTRATIFY, rel=1e-12)


def test_design_effect_is_kish_one_plus_cv_squared():
    w = np.array([0.5, 0.5, 1.0, 2.0])
    cv2 = w.var() / w.mean() ** 2  # population variance (ddof 0), as Kish defines it
    assert design_effect(w) == pytest.approx(1 + cv2)
    assert design_effect(np.ones(7)) == 1.0


def test_cells_give_every_row_its_respondents_weight():
    rows = pd.DataFrame(
        {
            "respondent_id": ["a", "a", "b", "c", None],
            "segment": ["Residents", "Residents", "residents ", "Owners", "Owners"],
        }
    )
    people = respondent_rows(rows, ["segment"])
    assert len(people) == 4  # a, b, c and the row without an id
    weights = post_stratify(people, by="segment", targets={"Residents": 30, "Owners": 10})
    # Residents: 2 of 4 respondents, 3/4 of the population -> 0.75 / 0.5 = 1.5
    assert weights.tolist() == pytest.approx([1.5, 1.5, 0.5, 0.5])
    cells = weighting_cells(people, weights, by=["segment"])
    back = cell_weights(rows, cells, by=["segment"])
    assert back.tolist() == pytest.approx([1.5, 1.5, 1.5, 0.5, 0.5])


@pytest.mark.parametrize(
    "segments, targets, words",
    [
        (["A", "B", None], {"A": 1, "B": 1}, "have no segment"),
        (["A", "C"], {"A": 1, "B": 1}, "'C' has no population size"),
        (["A", "A"], {"A": 1, "B": 1}, "Nobody in segment 'B' answered"),
        (["A"], {}, "There are no population sizes"),
    ],
)
def test_weights_refuse_what_they_cannot_do(segments, targets, words):
    with pytest.raises(DataValidationError, match=words):
        post_stratify(pd.DataFrame({"segment": segments}), by="segment", targets=targets)


def test_raking_needs_two_variables():
    with pytest.raises(DataValidationError, match="two or more variables"):
        rake(pd.DataFrame({"a": ["x"]}), by=["a"], targets={"a": {"x": 1}})


# ------------------------------------------------------------------ participation

OUTREACH = pd.DataFrame(
    {
        "segment": ["Residents", "Residents", "Owners", None],
        "channel": ["survey link", "paper", "survey link", "survey link"],
        "invited": pd.array([200, 50, 100, pd.NA], dtype="Int64"),
        "responses": pd.array([40, 30, 10, 12], dtype="Int64"),
    }
)


def _coverage(heard: list[str], unheard: list[tuple[str, str]]) -> pd.DataFrame:
    rows = [{"segment": s, "heard": True, "name": None, "reason": ""} for s in heard]
    rows += [
        {"segment": s, "heard": False, "name": n, "reason": "no stated needs recorded yet"}
        for s, n in unheard
    ]
    return pd.DataFrame(rows)


def test_response_rates_and_their_wilson_intervals():
    stated = pd.DataFrame({"segment": ["Residents"] * 3, "respondent_id": ["a", "b", "c"]})
    out = participation(OUTREACH, stated, _coverage(["Residents"], []))
    rates = out[out["part"] == "response rate"].set_index(["segment", "channel"])
    # By hand: 40/200, 30/50, 70/250 for residents, 10/100 for owners, 80/350 in all;
    # the open link (invited unknown) has no rate.
    assert rates.loc[("Residents", "survey link"), "rate"] == pytest.approx(0.2)
    assert rates.loc[("Residents", "(all channels)"), "rate"] == pytest.approx(70 / 250)
    assert rates.loc[("Owners", "survey link"), "rate"] == pytest.approx(0.1)
    everyone = rates.loc[("(everyone)", "(all channels)")]
    assert (everyone["invited"], everyone["responses"]) == (350, 80)
    assert len(rates) == 6  # 3 segment x channel, 2 segments, everyone
    # Wilson 95% for 10/100 with z = 1.959964 (REFERENCE-NUMBERS.md, Wilson 1927).
    low, high = rates.loc[("Owners", "survey link"), ["ci_low", "ci_high"]]
    assert (low, high) == pytest.approx((0.0552291, 0.1743657), abs=1e-7)


def test_groups_never_reached_and_the_mix():
    stated = pd.DataFrame(
        {"segment": ["Residents"] * 6 + ["Owners"] * 4, "respondent_id": list("abcdefghij")}
    )
    coverage = _coverage(["Residents", "Owners"], [("Staff", "Intake team"), ("Staff", "Food")])
    out = participation(
        OUTREACH,
        stated,
        coverage,
        population={"Residents": 900, "Owners": 50, "Youth": 50},
    )
    missing = out[out["part"] == "not reached"].set_index("segment")
    assert sorted(missing.index) == ["Staff", "Youth"]
    assert "Intake team, Food" in missing.loc["Staff", "reason"]
    mix = out[out["part"] == "mix"].set_index("segment")
    assert mix.loc["Residents", "respondent_share"] == pytest.approx(0.6)
    assert mix.loc["Residents", "population_share"] == pytest.approx(0.9)
    assert mix.loc["Residents", "verdict"] == "under-represented"
    assert mix.loc["Owners", "verdict"] == "over-represented"  # 40% of answers, 5% of people
    assert mix.loc["Youth", "respondents"] == 0


# ------------------------------------------------------------------ on the demo


@pytest.fixture(scope="module")
def riverside(tmp_path_factory):
    from toolkit.demo.build import init_demo

    return init_demo(tmp_path_factory.mktemp("demo") / "riverside")


def test_the_demo_participation_matches_its_outreach(riverside):
    out = run_analysis(riverside, "participation")
    rates = out[out["part"] == "response rate"].set_index(["segment", "channel"])
    # the demo's data file: residents' survey links 70/350, 30/300, 35/280
    assert rates.loc[("Residents", "survey link"), "invited"] == 930
    assert rates.loc[("Residents", "survey link"), "rate"] == pytest.approx(135 / 930)
    assert rates.loc[("People without housing", "paper"), "rate"] == pytest.approx(20 / 60)
    missing = out[out["part"] == "not reached"]
    assert missing["segment"].tolist() == ["Staff"]
    mix = out[out["part"] == "mix"].set_index("segment")
    assert mix.loc["Residents", "verdict"] == "under-represented"
    assert mix["population"].sum() == 6082


def test_an_engagement_with_no_outreach_yet_gives_the_columns_and_no_rows(tmp_path, run):
    # Reader 7: pd.concat of nothing was a traceback, in `table` and in the forms.
    Engagement.init(tmp_path / "e")
    done = run("table", tmp_path / "e", "participation", "--csv")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [",".join(_PARTICIPATION)]
    out = run_analysis(Engagement.open(tmp_path / "e"), "participation")
    assert out.empty and list(out.columns) == _PARTICIPATION


def test_a_named_scheme_weights_an_analysis_and_leaves_the_data_alone(riverside, run, tmp_path):
    before = riverside.stated_needs
    imports = riverside.imports()
    result = run("weights", riverside.path, "rake", "--by", "segment,language")
    assert result.exit_code == 0, result.output + result.stderr
    assert 'Made the weighting scheme "rake-segment-language"' in result.stderr
    assert "Design effect" in result.stderr
    scheme, cells = riverside.weighting("rake-segment-language")
    assert scheme["method"] == "rake" and scheme["variables"] == ["segment", "language"]
    assert scheme["design_effect"] > 1
    pd.testing.assert_frame_equal(riverside.stated_needs, before)  # nothing written over
    pd.testing.assert_frame_equal(riverside.imports(), imports)
    plain = run_analysis(riverside, "needs-gap").set_index("code")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weighted = run_analysis(
            riverside, "needs-gap", params={"weight": "rake-segment-language"}
        ).set_index("code")
    assert not [w for w in caught if "weighting scheme" in str(w.message)]
    # the weighted respondents' mix is the population's: residents count for more
    assert (
        weighted.loc["perishable_food", "customer_effective_n"]
        < plain.loc["perishable_food", "customer_total"]
    )
    assert weighted["customer_share"].ne(plain["customer_share"]).any()
    # a scheme's name is found however it is capitalised, with the same weights
    shouted = run_analysis(riverside, "needs-gap", params={"weight": "RAKE-Segment-Language"})
    pd.testing.assert_frame_equal(shouted.set_index("code"), weighted)
    listed = run("weights", riverside.path)
    assert "rake-segment-language" in listed.output
    out = tmp_path / "stated.csv"
    assert run("export", riverside.path, "--table", "stated-needs", "--to", out).exit_code == 0
    assert "rake-segment-language" not in out.read_text(encoding="utf-8").splitlines()[0]
    assert run("weights", riverside.path, "--remove", "rake-segment-language").exit_code == 0
    assert riverside.weighting_schemes().empty


def test_a_scheme_made_by_post_stratification_reports_its_cells(riverside):
    scheme, cells = make_weighting(riverside, "by-segment", method="post-stratify", by=["segment"])
    cells = cells.set_index("segment")
    assert cells["weighted_share"].to_dict() == pytest.approx(
        {k: v / 6082 for k, v in riverside.settings["population"]["segment"].items()}
    )
    assert scheme["effective_n"] == pytest.approx(scheme["respondents"] / scheme["design_effect"])
    riverside.remove_weighting("by-segment")


@pytest.mark.parametrize(
    "args, words",
    [
        (["rake", "--by", "segment"], "Raking needs two or more variables"),
        (["post-stratify", "--by", "segment,language"], "post-stratify weights by one"),
        (["post-stratify", "--by", "campus"], "has no column 'campus'"),
        (["post-stratify", "--by", "age_band"], "There are no population sizes"),
        (["post-stratify"], "--by"),
    ],
)
def test_the_weights_command_says_what_is_wrong(riverside, run, args, words):
    result = run("weights", riverside.path, *args)
    assert result.exit_code in (1, 2)
    assert words in result.output + result.stderr


def test_an_unknown_scheme_is_named_with_the_ones_there_are(riverside):
    with pytest.raises(DataValidationError, match='no weighting scheme "nope"'):
        riverside.weighting("nope")


def test_a_bad_population_setting_is_refused(tmp_path):
    from toolkit.store import Engagement

    eng = Engagement.init(tmp_path / "x")
    toml = eng.path / "engagement.toml"
    toml.write_text(
        toml.read_text() + '\n[settings.population.segment]\nResidents = "many"\n',
        encoding="utf-8",
    )
    with pytest.raises(StoreError, match="population.segment.Residents"):
        Engagement.open(eng.path)


def test_a_scheme_older_than_the_data_warns_and_a_new_group_is_refused(tmp_path, write_csv):
    from toolkit.demo.build import init_demo

    eng = init_demo(tmp_path / "small")
    make_weighting(eng, "seg", method="post-stratify", by=["segment"])
    header = ["respondent_id", "segment", "need", "collected_on"]
    eng.import_file(
        write_csv("more.csv", [header, ["n1", "Residents", "Milk", "2025-05-01"]]),
        table="stated_needs",
    )
    with pytest.warns(UserWarning, match='"seg" was made before the latest change'):
        run_analysis(eng, "needs-gap", params={"weight": "seg"})
    eng.import_file(
        write_csv("new.csv", [header, ["n2", "Students", "Milk", "2025-05-01"]]),
        table="stated_needs",
    )
    with pytest.raises(DataValidationError, match="1 rows of stated-needs fall in no cell"):
        run_analysis(eng, "needs-gap", params={"weight": "seg"})
