---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::preference::
<!-- dlm-auto-mined: judge_name="j" judge_score_chosen="1" mined_at="2026-04-24" mined_run_id="1" -->
### Prompt
Say hi.
### Chosen
Hello!
### Rejected
Go away.
