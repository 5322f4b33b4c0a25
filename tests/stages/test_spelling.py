from stages.spelling import SpellChecker


def test_correct_fixes_clear_lowercase_non_words_only() -> None:
    speller = SpellChecker()
    text, changes = speller.correct("the portions of lnnd will be ofleied at the Colonial Pieasury by Messrs Smith")
    assert text == "the portions of land will be offered at the Colonial Pieasury by Messrs Smith"
    assert changes == 2


def test_verify_rewrite_keeps_only_verified_word_fixes_and_whitespace() -> None:
    speller = SpellChecker()
    source = "Crown lnnd will\nbe ofleied for sale"
    merged, accepted = speller.verify_rewrite(source, "Crown land will be offered today for a sale")
    # lnnd→land is a 1:1 verified fix; "ofleied"→"offered today" changes the word count: rejected
    assert (merged, accepted) == ("Crown land will\nbe ofleied for sale", 1)
    unchanged, none = speller.verify_rewrite("The cat sat.", "The dog sat.")  # real word → real word: rejected
    assert (unchanged, none) == ("The cat sat.", 0)
