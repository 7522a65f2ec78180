---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::instruction::
###Q
no space
### Q what?
### A

::instruction::
### A
first

::instruction::
### Q !probe
probe q
### A
probe a
