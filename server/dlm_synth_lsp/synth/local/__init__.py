"""Models that run inside this process: which weights (`resolve.py`), loading them
once and running one pass at a time (`models.py`), generating with them
(`generation.py`, the `hf:`/`self` teachers in `teachers.py`) and the `sway` judge
(`judge.py`). torch, transformers and peft are imported only when a model is
loaded."""
