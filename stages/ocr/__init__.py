"""OCR post-correction: a confusion model learned from aligned noisy/clean pairs, a word n-gram lexicon, and a
noisy-channel corrector that fixes OCR errors and leaves clean or intended text alone.

* :mod:`tandem.stages.ocr.align`: character and word alignment of noisy/clean pairs;
* :mod:`tandem.stages.ocr.confusion`: :class:`~tandem.stages.ocr.confusion.ConfusionModel` (JSON, never pickle) plus the
  bundled generic prior;
* :mod:`tandem.stages.ocr.lexicon`: SymSpell's unigram and bigram dictionaries plus learned words;
* :mod:`tandem.stages.ocr.corrector`: candidates, scoring in context, the document-level "stay away" rules;
* :mod:`tandem.stages.ocr.tokens`: a page cut into words, the corrector's fixes and applying them.

Nothing heavy is loaded at import time.
"""
