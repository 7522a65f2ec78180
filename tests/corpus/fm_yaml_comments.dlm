---
# a leading comment
dlm_id: 01KPQ9X1000000000000000000  # trailing comment
base_model: smollm2-135m
# closing comment
---

Hello.
