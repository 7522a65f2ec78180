---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24T10:18:42Z" source_section_id="0123456789abcdef" -->
### Q
q0
### A
a0

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24" source_section_id="0123456789abcdef" -->
### Q
q1
### A
a1

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24T10" source_section_id="0123456789abcdef" -->
### Q
q2
### A
a2

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24 10:18:42" source_section_id="0123456789abcdef" -->
### Q
q3
### A
a3

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="20260424T101842Z" source_section_id="0123456789abcdef" -->
### Q
q4
### A
a4

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-W17-5" source_section_id="0123456789abcdef" -->
### Q
q5
### A
a5

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24T10:18:42+0000" source_section_id="0123456789abcdef" -->
### Q
q6
### A
a6

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24T10:18:42.123456" source_section_id="0123456789abcdef" -->
### Q
q7
### A
a7

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24T10:18:42.5+05:30" source_section_id="0123456789abcdef" -->
### Q
q8
### A
a8

::instruction::
<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" synth_at="2026-04-24T10:18" source_section_id="0123456789abcdef" -->
### Q
q9
### A
a9
