"""Every verb's every option says what it does, and a flag is shown as a flag."""

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from synthrecords.cli import app

GROUP = get_command(app)
VERBS = sorted(GROUP.commands)


@pytest.mark.parametrize("verb", [None, *VERBS])
def test_every_option_has_help_text(verb):
    command = GROUP if verb is None else GROUP.commands[verb]
    options = [p for p in command.params if p.param_type_name == "option"]
    assert options or verb in ("demo", "run") or verb is None
    silent = [p.opts[0] for p in options if not (p.help or "").strip()]
    assert not silent, f"{verb or 'synthrecords'}: options without help: {silent}"


@pytest.mark.parametrize("verb", VERBS)
def test_flags_are_shown_without_a_value(verb):
    out = CliRunner().invoke(app, [verb, "--help"], terminal_width=200).stdout
    assert "<bool>" not in out, out
    flags = [p.opts[0] for p in GROUP.commands[verb].params if getattr(p, "is_flag", False)]
    for flag in flags:
        assert flag in out


def test_verbose_and_quiet_are_documented():
    out = CliRunner().invoke(app, ["--help"], terminal_width=200).stdout
    assert "--verbose" in out and "--quiet" in out and "<bool>" not in out
