---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24T10:18:42Z" source_section_id="0123456789abcde" -->
### Q
What is DGEMM?
### A
A dense matrix multiply.
