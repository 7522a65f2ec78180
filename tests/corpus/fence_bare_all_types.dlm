---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

Intro prose.

::instruction::
### Q
What is DGEMM?
### A
A dense matrix multiply.

::preference::
### Prompt
Say hi.
### Chosen
Hello!
### Rejected
Go away.

::prose::
More prose.
