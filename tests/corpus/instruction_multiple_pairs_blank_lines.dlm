---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::instruction::

### Q
q1

### A
a1

### Q
q2
### A
a2


