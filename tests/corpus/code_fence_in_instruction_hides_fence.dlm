---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::instruction::
### Q
Show a fence.
### A
```
::preference::
```

::preference::
### Prompt
Say hi.
### Chosen
Hello!
### Rejected
Go away.
