---
---

Hello.
