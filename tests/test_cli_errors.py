"""The console script's errors: one clear line and an exit code, never a traceback."""

from __future__ import annotations

import sys

import pytest

from api.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["build", "-v"], "No such option: -v"),
        (["search"], "Missing argument"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_are_one_message_and_exit_code_2(argv, message, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["jixiao", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
