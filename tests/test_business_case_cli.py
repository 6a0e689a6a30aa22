"""The business case on the command line (cli/business_case.py): ``evaluate`` and ``report``
build the same BusinessCaseOptions as the study TOML, flags override the TOML's values, and a
bad value is a short error naming its flag."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pandas as pd
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.cli.business_case import (
    FLAGS,
    add_business_case_arguments,
    business_case_options,
)
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import BusinessCaseOptions
from fastholdelse_eval.pipeline.study import load_config

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

# The hand-made study of test_business_case.py, every spell ended by RTW within 26 weeks:
# intervention 2, 4, 6, 8, 10 weeks (RMST 6), control 4, 8, 12, 16, 20 weeks (RMST 12).
WEEKS = {"intervention": [2, 4, 6, 8, 10], "control": [4, 8, 12, 16, 20]}


def write_hand_cohort(path: Path) -> Path:
    start = pd.Timestamp("2009-01-05")
    rows = [{"person_id": f"{g[0]}{i}", "group": g, "start_date": "2009-01-05",
             "end_date": (start + pd.Timedelta(days=7 * w)).strftime("%Y-%m-%d"),
             "end_reason": "rtw", "followup_date": "2009-12-31"}
            for g, weeks in WEEKS.items() for i, w in enumerate(weeks)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tidy_csv(capsys, *argv: str) -> pd.DataFrame:
    code, out, err = run(capsys, "evaluate", *argv, "--format", "csv")
    assert code == 0, err
    return pd.read_csv(io.StringIO(out)).drop_duplicates("metric").set_index("metric")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_business_case_arguments(parser)
    return parser.parse_args(list(argv))


def test_evaluate_flags_give_the_hand_checked_business_case(capsys, tmp_path):
    path = write_hand_cohort(tmp_path / "hand.csv")
    t = tidy_csv(capsys, str(path), "--weekly-benefit", "1000", "--benefit-year", "2009",
                 "--cost-per-participant", "2000", "--cost-per-week", "100",
                 "--municipality-share", "0:1,4:0.5", "--bootstrap", "0",
                 "--business-horizon-weeks", "26")
    est = t["estimate"]
    # weeks saved 12 − 6 = 6; gross 6 × 1000; cost 2000 + 100 × RMST_i (6) = 2600.
    assert est["benefit_weeks_saved"] == pytest.approx(6.0)
    assert est["gross_saving_per_participant"] == pytest.approx(6000.0)
    assert est["project_cost_per_participant"] == pytest.approx(2600.0)
    assert est["net_saving_per_participant"] == pytest.approx(3400.0)
    assert est["net_saving_total"] == pytest.approx(5 * 3400.0)
    # The schedule from the flag: 0.4 weeks saved in spell weeks 0–4 at share 1, 5.6 after at
    # 0.5 → the municipality's gross saving 400 + 2800.
    assert est["gross_saving_municipality_per_participant"] == pytest.approx(3200.0)
    assert est["gross_saving_state_per_participant"] == pytest.approx(2800.0)
    assert "societal_net_saving_per_participant" not in est.index


def test_evaluate_flags_equal_the_python_api(capsys, greve_path, greve_cohort):
    inputs = {"weekly_benefit": 4000, "municipality_share": [[0, 1.0], [4, 0.5]],
              "cost_per_participant": 5000, "value_of_work_week": 6000,
              "cost_payer": "state", "bootstrap": 200, "seed": 7, "sensitivity": 0.1}
    t = tidy_csv(capsys, str(greve_path), "--weekly-benefit", "4000",
                 "--municipality-share", "0:1,4:0.5", "--cost-per-participant", "5000",
                 "--value-of-work-week", "6000", "--cost-payer", "state", "--bootstrap", "200",
                 "--seed", "7", "--sensitivity", "0.1")
    py = fe.evaluate(greve_cohort, business_case=inputs).tidy()
    py = py.drop_duplicates("metric").set_index("metric")
    rows = [m for m in py.index if m in metrics_of_case()]
    assert "societal_net_saving_per_participant" in rows
    for col in ("estimate", "ci_low", "ci_high", "boot_ci_low", "boot_ci_high"):
        if col in py.columns:
            assert t.loc[rows, col].to_numpy(float) == pytest.approx(
                py.loc[rows, col].to_numpy(float), nan_ok=True, rel=1e-9), col


def metrics_of_case() -> set[str]:
    from fastholdelse_eval.core.metrics_business_case import BUSINESS_CASE_METRICS
    return {m.name for m in BUSINESS_CASE_METRICS}


def test_no_flags_no_business_case(capsys, greve_path):
    t = tidy_csv(capsys, str(greve_path))
    assert "net_saving_per_participant" not in t.index
    assert business_case_options(parse()) is None


@pytest.mark.parametrize(("argv", "flag"), [
    (["--cost-per-participant", "5000"], "--weekly-benefit"),
    (["--weekly-benefit", "0"], "--weekly-benefit"),
    (["--weekly-benefit", "4000", "--municipality-share", "1.5"], "--municipality-share"),
    (["--weekly-benefit", "4000", "--municipality-share", "4:0.5"], "--municipality-share"),
    (["--weekly-benefit", "4000", "--municipality-share", "half"], "--municipality-share"),
    (["--weekly-benefit", "4000", "--cost-per-week", "-1"], "--cost-per-week"),
    (["--weekly-benefit", "4000", "--bootstrap", "50"], "--bootstrap"),
    (["--weekly-benefit", "4000", "--seed", "-3"], "--seed"),
    (["--weekly-benefit", "4000", "--benefit-year", "9"], "--benefit-year"),
    (["--weekly-benefit", "4000", "--business-horizon-weeks", "0"], "--business-horizon-weeks"),
    (["--weekly-benefit", "4000", "--sensitivity", "2"], "--sensitivity"),
])
def test_bad_values_are_short_errors_naming_the_flag(capsys, greve_path, argv, flag):
    code, out, err = run(capsys, "evaluate", str(greve_path), *argv)
    assert code == 1 and out == ""
    assert err.startswith(f"fastholdelse-eval evaluate: {flag}:"), err
    assert "Traceback" not in err


def test_values_that_are_not_numbers_are_refused_by_the_parser(capsys, greve_path):
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", str(greve_path), "--weekly-benefit", "many"])
    assert exc.value.code == 2 and "--weekly-benefit" in capsys.readouterr().err


def test_flags_override_the_toml_one_by_one():
    config = load_config(SAMPLE / "greve_2009.toml")
    base = config.business_case
    assert base is not None
    assert business_case_options(parse(), base) is base  # no flag: the TOML's, unchanged
    case = business_case_options(parse("--cost-per-participant", "20000", "--bootstrap", "0",
                                       "--municipality-share", "1"), base)
    assert case == BusinessCaseOptions(
        weekly_benefit=4000, benefit_year=2009, municipality_share=1.0,
        cost_per_participant=20000, bootstrap=0)
    assert base.cost_per_participant == 5000  # the TOML's object is not changed
    with pytest.raises(ConfigError, match="^--weekly-benefit: must be greater than 0"):
        business_case_options(parse("--weekly-benefit", "-5"), base)


def test_every_option_has_a_flag():
    assert set(FLAGS) == {f for f in BusinessCaseOptions.__dataclass_fields__}


def test_report_flags_override_the_study_toml(capsys, tmp_path):
    code, out, err = run(capsys, "report", str(SAMPLE / "greve_2009.toml"), "--out",
                         str(tmp_path), "--lang", "en", "--format", "md",
                         "--cost-per-participant", "20000", "--bootstrap", "0")
    assert code == 0, err
    text = (tmp_path / "greve_2009.en.md").read_text("utf-8")
    # Gross saving 4.07 weeks × 4000 kr = 16,266 kr (as with the TOML's figures); the cost is
    # the flag's 20,000 kr, so the net saving is 16,266 − 20,000 = −3,734 kr; the TOML's
    # schedule (100 % weeks 0–3, 50 % after) still splits the gross saving (8,512 municipality).
    assert "Cost of the intervention: 20,000 kr per participant" in text
    assert "| Net saving per participant | −3,734 (" in text
    assert "| Gross saving to the municipality per participant | 8,512 (" in text


def test_report_of_a_bare_data_file_gets_its_business_case_from_the_flags(capsys, tmp_path):
    code, _, err = run(capsys, "report", str(SAMPLE / "greve_2009.csv"), "--out",
                       str(tmp_path), "--lang", "en", "--format", "md",
                       "--weekly-benefit", "4000", "--cost-per-participant", "5000",
                       "--bootstrap", "0")
    assert code == 0, err
    text = (tmp_path / "greve_2009.en.md").read_text("utf-8")
    assert "What does the intervention save?" in text
    assert "| Net saving per participant | 11,266 (" in text
    code, _, err = run(capsys, "report", str(SAMPLE / "greve_2009.csv"), "--out",
                       str(tmp_path / "x"), "--cost-per-week", "10")
    assert code == 1 and "--weekly-benefit: missing" in err
    assert not (tmp_path / "x").exists()


def test_one_group_cohort_says_why_there_is_no_business_case(capsys, tmp_path, greve_cohort):
    participants = greve_cohort.data[greve_cohort.data["group"] == "intervention"]
    ev = fe.evaluate(fe.Cohort.from_frame(participants), business_case={"weekly_benefit": 4000})
    assert ev.business_case is None
    assert "net_saving_per_participant" not in set(ev.tidy()["metric"])
    assert any(n.startswith("Business case: not computed") for n in ev.notes)


def test_readable_table_shows_the_probability_and_every_sensitivity_row(capsys, greve_path):
    code, out, err = run(capsys, "evaluate", str(greve_path), "--weekly-benefit", "4000",
                         "--cost-per-participant", "5000", "--bootstrap", "0")
    assert code == 0, err
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    # A probability is a share in per cent, not a difference in points.
    assert lines["probability_saves_money"].split()[-2:] == ["99.9", "%"]
    # One line per sensitivity row, named by the input and its setting. Net saving 11,266.48
    # (4.0666 weeks × 4000 − 5000); cost +25 % (6250): 11,266.48 − 1250 = 10,016.48; rate
    # −25 % (3000): 11,266.48 − 0.25 × 16,266.48 = 7,199.86.
    sens = {k: v.split()[-1] for k, v in lines.items() if k.startswith("business_case_sens")}
    assert len(sens) == 9
    assert sens["business_case_sensitivity: base"] == "11266.48"
    assert sens["business_case_sensitivity: cost high = 6250.00"] == "10016.48"
    assert sens["business_case_sensitivity: rate low = 3000.00"] == "7199.86"


def test_business_case_flags_with_participants_and_controls_in_two_files(capsys, tmp_path,
                                                                         greve_path):
    from fastholdelse_eval.data.io import read_table
    frame = read_table(greve_path).frame
    files = []
    for label in ("deltager", "kontrol"):
        path = tmp_path / f"{label}.csv"
        frame[frame["gruppe"] == label].drop(columns="gruppe").to_csv(
            path, sep=";", index=False, encoding="utf-8-sig")
        files.append(path)
    flags = ["--weekly-benefit", "4000", "--cost-per-participant", "5000", "--bootstrap", "0"]
    single = tidy_csv(capsys, str(greve_path), *flags)
    two = tidy_csv(capsys, "--intervention", str(files[0]), "--control", str(files[1]), *flags)
    assert two.loc["net_saving_per_participant", "estimate"] == pytest.approx(
        single.loc["net_saving_per_participant", "estimate"], rel=1e-12)
    assert two.loc["net_saving_per_participant", "estimate"] == pytest.approx(11266.48, abs=0.01)
