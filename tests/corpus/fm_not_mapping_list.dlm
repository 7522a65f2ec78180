---
- dlm_id
- base_model
---

Hello.
