---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

:instruction:
::instruction:
:instruction::
:::instruction:::
::::
::
::instruction::extra
x::instruction::
:: instruction ::
