---
dlm_id: 01KPQ9X1000000000000000042
dlm_version: 15
base_model: smollm2-135m
---

# Rotating TLS certificates

Certificates issued by the internal CA are valid for 90 days. The renewal job runs
daily and replaces any certificate that expires within 30 days. The job then reloads
the proxy with a SIGHUP so open connections are not dropped.

::prose::

# Monitoring

Expired certificates show up as handshake failures in the proxy log.
