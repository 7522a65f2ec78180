"""Models that run inside this process: resolving and loading them once
(`models.py`), generating with them (`generation.py`, `teachers.py`) and the `sway`
judge (`judge.py`). torch, transformers and peft are imported only when a model is
loaded."""
