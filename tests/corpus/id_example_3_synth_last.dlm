---
dlm_id: 01KPQ9X1000000000000000000
dlm_version: 15
base_model: smollm2-135m
---

::instruction::
<!-- dlm-auto-synth: synth_teacher="hf:Qwen/Qwen2.5-1.5B-Instruct" synth_strategy="extraction" synth_at="2026-04-24T10:18:42Z" source_section_id="0123456789abcdef" -->
### Q
What is DGEMM?
### A
A matrix multiply.
