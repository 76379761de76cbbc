"""Every subcommand documents itself."""

from __future__ import annotations

import pytest

from analog_deploy.cli.main import main

SUBCOMMANDS = ["demo", "convert", "evaluate", "export", "run", "info", "presets"]


def test_main_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in SUBCOMMANDS)


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_subcommand_help(subcommand, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([subcommand, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: analog-deploy {subcommand}" in capsys.readouterr().out
