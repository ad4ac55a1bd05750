"""The CLI names the flag of the command that ran when a use case names a field; never another command's flag."""

from biplomacy.cli.main import phrase
from biplomacy.core.errors import InputError


def test_a_field_that_is_a_flag_of_the_command_gets_the_flag_in_front():
    error = InputError("not a WIF private key", field="wif")
    assert phrase(error, ["reserve", "sign-message", "--address", "x"]) == "--wif: not a WIF private key"


def test_global_options_and_their_values_before_the_command_are_skipped():
    error = InputError("not a WIF private key", field="wif")
    assert phrase(error, ["--as", "energy", "reserve", "sign-message"]) == "--wif: not a WIF private key"


def test_a_field_that_is_only_another_commands_flag_is_left_as_the_message_says():
    error = InputError("r2.csv: missing column(s) address", field="address")
    assert phrase(error, ["supervise", "solvency", "reserves", "--root", "r.json"]) == error.args[0]
    assert phrase(error, ["reserve", "sign-message"]).startswith("--address: ")


def test_a_message_that_already_names_its_field_or_a_flag_is_not_prefixed_twice():
    assert phrase(InputError("--plan: no such plan", field="plan"), ["energy", "risk"]) == "--plan: no such plan"
    assert phrase(InputError("plan: no such plan", field="plan"), ["energy", "risk"]) == "plan: no such plan"
    assert phrase(InputError("no field here"), ["energy", "risk"]) == "no field here"
