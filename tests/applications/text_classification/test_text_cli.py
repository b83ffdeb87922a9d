"""The command line: train, evaluate, predict, and one-line errors."""

import json
import subprocess
import sys

import pytest

from applications.text_classification._cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "model"
    assert main(["train", "--out", str(out), "--no-progress"]) == 0
    return out


def test_train_writes_model_and_metrics(trained):
    assert {p.name for p in trained.iterdir()} == {"model.json", "arrays.npz", "metrics.json"}
    metrics = json.loads((trained / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n_test"] == 100 and metrics["converged"]
    assert 0.85 <= metrics["accuracy"] <= 0.99
    assert set(metrics["top_features"]) == {"cooking", "sports", "technology", "weather"}


def test_evaluate_matches_training_metrics(trained, capsys, tmp_path):
    assert main(["evaluate", "--model", str(trained), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "confusion matrix" in printed and "weighted avg" in printed
    again = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    first = json.loads((trained / "metrics.json").read_text(encoding="utf-8"))
    assert again["accuracy"] == first["accuracy"]
    assert again["confusion_matrix"] == first["confusion_matrix"]


def test_evaluate_and_predict_on_given_data(trained, capsys, tmp_path):
    data = tmp_path / "data.tsv"
    data.write_text("weather\tHeavy snow and hail closed the roads.\n"
                    "sports\tThe striker scored twice in the final.\n", encoding="utf-8")
    assert main(["evaluate", "--model", str(trained), str(data)]) == 0
    assert "accuracy 1.000" in capsys.readouterr().out
    texts = tmp_path / "texts.txt"
    texts.write_text("Preheat the oven and whisk the eggs.\n", encoding="utf-8")
    assert main(["predict", "--model", str(trained), "My laptop keeps crashing after the update",
                 "--file", str(texts)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["technology", "cooking"]
    assert all(0.0 < float(line.split("\t")[1]) <= 1.0 for line in lines)


@pytest.mark.parametrize("make_args, match", [
    (lambda d, m: ["train", str(d / "missing.tsv"), "--out", str(d / "o")], "no such file"),
    (lambda d, m: ["train", str(d / "bad.tsv"), "--out", str(d / "o")], "empty text"),
    (lambda d, m: ["evaluate", "--model", str(m), str(d / "unknown.tsv")], "not seen"),
    (lambda d, m: ["predict", "--model", str(d / "nomodel")], "nothing to classify"),
    (lambda d, m: ["predict", "--model", str(d / "nomodel"), "text"], "no model folder"),
    (lambda d, m: ["predict", "--model", str(m), "   "], "is empty"),
    (lambda d, m: ["train", "--out", str(d / "o"), "--test-size", "2"], "test_size"),
])
def test_errors_are_one_line(trained, tmp_path, capsys, make_args, match):
    (tmp_path / "bad.tsv").write_text("ham\thello\nspam\t \n", encoding="utf-8")
    (tmp_path / "unknown.tsv").write_text("opera\tThe tenor sang.\n", encoding="utf-8")
    assert main(make_args(tmp_path, trained)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err
    assert len(err.strip().splitlines()) == 1


def test_module_entry_point_help_and_exit_status(tmp_path):
    run = subprocess.run([sys.executable, "-m", "applications.text_classification", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "train" in run.stdout and "predict" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "applications.text_classification",
                          "evaluate", "--model", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
