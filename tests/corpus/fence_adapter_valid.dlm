---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::instruction#tone::
### Q
What is DGEMM?
### A
A dense matrix multiply.

::preference#a_b1::
### Prompt
Say hi.
### Chosen
Hello!
### Rejected
Go away.

::prose#x::
Routed prose.
