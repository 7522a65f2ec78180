---
   

---

Hello.
