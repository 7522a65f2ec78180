---
dlm_id: 01KPQ9X1000000000000000000
dlm_version: 15
base_model: smollm2-135m
---

::preference::
### Prompt
p
### Chosen
c
### Rejected
r
::instruction::
