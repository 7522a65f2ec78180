---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

Ümlaut café naïve. 日本語のテキスト。 😀👍🏽👨‍👩‍👧 𝄞
שלום עולם — مرحبا بالعالم‏

::instruction#tone::
### Q
¿Qué es 𝔻𝔾𝔼𝕄𝕄?
### A
مصفوفة 😀
