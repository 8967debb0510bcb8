from groupid.uscc import check_character, uscc_problem


def test_known_valid_codes():
    # published example codes of GB 32100-2015 style
    for code in ("91350100M000100Y43", "91310000MA1FL3XK2T"):
        assert uscc_problem(code) is None


def test_every_single_character_typo_is_caught():
    code = "91350100M000100Y43"
    for i in range(17):
        for replacement in "0A":
            if code[i] != replacement:
                typo = code[:i] + replacement + code[i + 1 :]
                assert uscc_problem(typo) is not None, typo


def test_check_character_can_be_a_letter():
    assert check_character("91310000MA1FL3XK2") == "T"
