"""Training data and training of the engine's learned parts (above ``pipeline`` in the layers:
nothing below imports it; the CLI loads it only for ``train``, ``synth`` and cross-validation)."""
