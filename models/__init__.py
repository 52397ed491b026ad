"""Gridwall detector models: synthetic data, training, evaluation, ONNX export, feedback loop.

Importable without torch: torch and ultralytics are imported only inside the train,
export and average functions (the `train` extra). See `models/README.md`.
"""
