---
dlm_id: 01KPQ9X1000000000000000000
base_model: smollm2-135m
---

<!-- dlm-auto-harvest: source="runs/2026-04-24.jsonl" -->
Prose.
