"""The rules shared by the applications' command lines (applications/_cli.py)."""

import errno
import os

import pytest

from applications._cli import CliError, check_outputs, one_line, run_main


def test_outputs_may_not_be_inputs_even_with_overwrite(tmp_path):
    src = tmp_path / "a.png"
    src.write_bytes(b"x")
    with pytest.raises(CliError, match="is the input"):
        check_outputs([tmp_path / "." / "a.png"], [src], overwrite=True)


def test_existing_outputs_need_overwrite(tmp_path):
    (tmp_path / "r.json").write_text("{}")
    with pytest.raises(CliError, match="already exists.*--overwrite"):
        check_outputs([tmp_path / "r.json", tmp_path / "new.png"])
    check_outputs([tmp_path / "r.json"], overwrite=True)


def test_output_folder_must_be_creatable(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(CliError, match="not a folder"):
        check_outputs([tmp_path / "f" / "sub" / "x.png"])
    with pytest.raises(CliError, match="is a folder"):
        check_outputs([tmp_path])
    check_outputs([tmp_path / "new" / "deeper" / "x.png"])  # created later: fine


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(CliError, match="not writable"):
            check_outputs([folder / "x.png"])
    finally:
        folder.chmod(0o700)


def test_errors_are_one_line_without_errno(capsys):
    def fails():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), "model.json")

    assert run_main(fails) == 2
    err = capsys.readouterr().err
    assert err == "error: File exists: 'model.json'\n"
    assert "Errno" not in one_line(OSError(errno.ENOENT, "No such file or directory", "x"))


def test_unexpected_errors_are_one_line_too(capsys, monkeypatch):
    monkeypatch.delenv("AUTODIFF_TRACEBACK", raising=False)

    def fails():
        raise RuntimeError("boom\nsecond line")

    assert run_main(fails) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: boom" in err


def test_warnings_are_one_line(capsys):
    import warnings

    def warns():
        warnings.warn("careful\n", UserWarning, stacklevel=1)

    assert run_main(warns) == 0
    assert capsys.readouterr().err == "warning: careful\n"
