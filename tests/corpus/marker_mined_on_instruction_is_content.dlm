---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::instruction::
<!-- dlm-auto-mined: judge_name="judge" judge_score_chosen="0.9" judge_score_rejected="0.1" mined_at="2026-04-24T10:18:42Z" mined_run_id="3" -->
### Q
What is DGEMM?
### A
A dense matrix multiply.
