"""Extractive summaries of legal text: ``summarize.legal`` and the lead baseline ``summarize.lead``.

The pipeline, each step a pure function that can be tested without a model:

1. :func:`~tandem.specialists.legal.segment.split_sections` cuts a bill or contract into sections, from
   BillSum's ``<SECTION-HEADER>`` markers or from ``SECTION 1.`` / ``Sec. 2.`` / ``3.`` headings
   (table-of-contents entries are skipped; a section an amendment inserts stays in the section inserting it,
   and a table item an amendment adds is dropped).
2. :func:`~tandem.specialists.legal.segment.split_sentences` splits a section into sentences without
   breaking on legal abbreviations (``U.S.C.``, ``Sec.``, ``et seq.``, ``No.``) and drops
   enumerators like ``(a)`` and inline paragraph headings (``In general.--``).
3. :func:`~tandem.specialists.legal.candidates.prepare` removes boilerplate
   (:func:`~tandem.specialists.legal.segment.is_boilerplate`: enacting clauses, ``This Act may be cited
   as`` sentences, tables of contents, clerical amendments, bare headers) and list items that lost their lead-in, drops
   citation parentheticals and flat asides (``(relating to ...)``, ``(if any)``)
   (:func:`~tandem.specialists.legal.candidates.compress_sentence`) and references to the bill's own parts
   (:func:`~tandem.specialists.legal.references.drop_internal_references`), drops sentences that only say how a
   text is edited (``by striking ...``, ``by redesignating ...``: :func:`~tandem.specialists.legal.candidates.is_edit`,
   option ``drop_edits``), and keeps the Act's name
   (:func:`~tandem.specialists.legal.segment.short_title`), which opens the summary as in CRS summaries
   ("Farm to School Improvements Act of 2010 - ..."). Descriptive section headings are candidates too.
4. :func:`~tandem.specialists.legal.score.score_sentences` combines MiniLM similarity to the document
   centroid, the section centroid, the section heading and the short title with a position prior
   and penalties for sections that are rarely summarized (findings, definitions, ...) and for
   mechanical edits ("by striking ... and inserting ...", where ``drop_edits`` left them), plus the summary-word prior
   (:mod:`~tandem.specialists.legal.summary_words`: how often each word reached the summaries of development bills).
5. :func:`~tandem.specialists.legal.select.mmr_select` picks sentences by maximal marginal relevance
   within the word budget; the output keeps the original order, one sentence per line.

Modules, one job each:

* :mod:`~tandem.specialists.legal.segment`: sections, sentences, boilerplate, the short title;
* :mod:`~tandem.specialists.legal.candidates`: a document's candidate sentences (:class:`PreparedDoc`)
  and the lead baseline's sentences; :mod:`~tandem.specialists.legal.references`: references to the bill's own
  parts; :mod:`~tandem.specialists.legal.amends`: the law the bill amends;
* :mod:`~tandem.specialists.legal.score` and :mod:`~tandem.specialists.legal.select`: scoring, MMR selection,
  the word budget; :mod:`~tandem.specialists.legal.learned`: the learned scorer's features and weights,
  :mod:`~tandem.specialists.legal.train_scorer`: its oracle labels, training and cross-validation;
  :mod:`~tandem.specialists.legal.summary_words` and :mod:`~tandem.specialists.legal.train_summary_words`: the
  summary-word table, its training and cross-validation;
* :mod:`~tandem.specialists.legal.options`: the stages' options (:class:`LeadOptions`,
  :class:`LegalOptions`), the one place where every default is written;
* :mod:`~tandem.specialists.legal.summarizer`: batched encoding and the two summarizers as functions
  (:func:`summarize_legal`, :func:`lead_summary`);
* :mod:`~tandem.specialists.legal.stages`: :class:`LegalSummarizerStage` encodes every candidate of
  every document of a batch in one encoder call (sentences cut to ``encode_words`` words);
  :class:`LeadSummarizerStage` is the lead baseline at the same word budget.

The hand-set weights were tuned on BillSum test bills 0-99 (``../shared/datasets/billsum/billsum_test_200.jsonl``).
v3 fixed bills 150-199 as the final report set before any choice and made every v3 choice on bills 0-149
by 5-fold cross-validation by bill: 30 candidates cut to 24 words (was 20 of 12; encoding MiniLM is the
whole cost) and the default scorer. :mod:`~tandem.specialists.legal.learned` is a logistic regression on ROUGE-Lsum
oracle labels (:mod:`~tandem.specialists.legal.train_scorer` trains it; weights in ``specialists/data/legal_scorer.json``);
in that CV its summaries scored below the hand-set weights', so it is opt-in (``scorer="learned"``).
Figures and which data chose what: ``docs/benchmarks.md``.

This package imports nothing at import time; :mod:`tandem.specialists.legal_summarizer` re-exports the
public names for older callers.
"""
