"""Distillation: an LLM teacher labels unlabeled texts, a specialist student learns from what survives.

``tandem distill classify|ner`` (flow ``tandem-distill`` in :mod:`tandem.flows.distill`) chains these jobs, one
module each:

* :mod:`.labelling`: the teacher (``classify.llm`` / ``ner.llm`` built through the stage registry, on any
  ``--llm`` spec) answers each text ``samples`` times; the self-consistency filter keeps a text only when
  enough answers agree (pure functions: :func:`~.labelling.answer_key`, :func:`~.labelling.agree`);
* :mod:`.synthesis`: new examples per label written by the teacher, deduplicated, then labelled and kept
  only when the teacher gives them the label they were written for;
* :mod:`.dataset`: the kept examples as the files ``tandem train`` reads (a TSV for classify, CoNLL for ner:
  spaCy's blank English tokenizer, character spans → IOB2 tags);
* :mod:`.student`: the student trained with the ``tandem train`` code, its model card marked as distilled;
* :mod:`.evaluate`: teacher and student on gold data through the pipeline's own stages, side by side.
"""
