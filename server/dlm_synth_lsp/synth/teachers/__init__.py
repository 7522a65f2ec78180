"""Teachers: one module per backend behind the `Teacher` protocol in `base.py`."""
