---
just a string
---

Hello.
