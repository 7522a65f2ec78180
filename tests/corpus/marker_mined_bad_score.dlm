---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::preference::
<!-- dlm-auto-mined: judge_name="judge" judge_score_chosen="high" judge_score_rejected="0.1" mined_at="2026-04-24T10:18:42Z" mined_run_id="3" -->
### Prompt
Say hi.
### Chosen
Hello!
### Rejected
Go away.
