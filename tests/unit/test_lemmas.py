from bot.nlp.lemmas import add_english_forms, build_lemma_table, fold_diacritics, words_in

DICTIONARY = {
    "företag": "företag",
    "företaget": "företag",
    "företagen": "företag",
    "ansöker": "ansöka",
    "ansöka": "ansöka",
    "får": "få",
    "far": "far",
    "katten": "katt",
    "vinsterna": "vinst",
}


def test_folding_removes_swedish_diacritics_only():
    assert fold_diacritics("Företagsförening på Åland") == "Foretagsforening pa Aland"


def test_words_are_lowercased_and_split_on_punctuation():
    assert words_in(["Vad är ett ASF?", "ASF:s vinster, företagen"]) == {
        "vad",
        "är",
        "ett",
        "asf",
        "asf:s",
        "vinster",
        "företagen",
    }


def test_every_form_of_a_vocabulary_lemma_maps_to_it():
    table = build_lemma_table(DICTIONARY, ["företag"])
    assert table["företagen"] == "företag"
    assert table["Företaget"] == "företag"


def test_forms_typed_without_diacritics_map_to_the_swedish_lemma():
    table = build_lemma_table(DICTIONARY, ["foretagen", "ansoker"])
    assert table["foretaget"] == "företag"
    assert table["ansoker"] == "ansöka"
    assert table["Ansoker"] == "ansöka"


def test_a_folded_spelling_that_is_a_word_of_its_own_keeps_its_lemma():
    table = build_lemma_table(DICTIONARY, ["får", "far"])
    assert table["far"] == "far"
    assert table["får"] == "få"


def test_abbreviations_map_to_the_words_they_stand_for():
    table = build_lemma_table(DICTIONARY, [])
    assert table["AF"] == "arbetsförmedlingen"
    assert table["af"] == "arbetsförmedlingen"


def test_lemmas_the_training_data_never_uses_are_left_out():
    table = build_lemma_table(DICTIONARY, ["företag"])
    assert "katten" not in table
    assert "vinsterna" not in table


def test_common_words_typed_without_diacritics_mean_the_swedish_word():
    table = build_lemma_table({"ar": "ar", "är": "vara", "stod": "stå"}, ["är"])
    assert table["ar"] == "vara"
    assert table["stod"] == "stöd"


ENGLISH = {
    "employees": "employee",
    "employee": "employee",
    "asked": "ask",
    "asks": "ask",
    "far": "far",
    "cats": "cat",
    "French": "French",
}


def test_english_forms_of_the_vocabulary_lemmas_map_to_them():
    table = add_english_forms(build_lemma_table(DICTIONARY, []), ENGLISH, ["employee", "asks"])
    assert table["employees"] == "employee"
    assert table["asked"] == "ask"
    assert "cats" not in table


def test_a_swedish_spelling_keeps_its_swedish_lemma():
    swedish = build_lemma_table({"test": "testa", "testa": "testa"}, ["test"])
    table = add_english_forms(swedish, {"test": "test", "tests": "test"}, ["test"])
    assert table["test"] == "testa"
    assert table["tests"] == "testa"


def test_english_lemmas_are_lowercased():
    assert add_english_forms({}, ENGLISH, ["french"])["french"] == "french"
