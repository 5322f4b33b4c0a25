"""Training code for the trainable specialists (NER, classifiers)."""
