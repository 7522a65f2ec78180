---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::widget path="x"::
