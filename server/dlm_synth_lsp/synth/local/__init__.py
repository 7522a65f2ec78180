"""Models that run inside this process: which weights (`resolve.py`), loading them
once and running one pass at a time (`models.py`), generating with them
(`generation.py`, the `hf:`/`self` teachers in `teachers.py`) and the `sway` judge
(`judge.py`); and the offline teacher: the bundled GGUF models (`bundled.py`) run by
llama.cpp (`llamacpp.py`, the `local` teacher in `gguf_teacher.py`). torch,
transformers, peft and llama_cpp are imported only when a model is loaded."""
