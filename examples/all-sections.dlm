---
dlm_id: 01KPQ9X1000000000000000003
dlm_version: 15
base_model: smollm2-135m
training:
  adapters:
    tone:
      lora_r: 8
    facts: {}
---

# Rotating TLS certificates

Certificates issued by the internal CA are valid for 90 days. The renewal job runs
daily and replaces any certificate that expires within 30 days, then reloads the
proxy with a SIGHUP so open connections are not dropped.

::instruction#facts::
<!-- dlm-auto-synth: synth_teacher="vllm-server:http://127.0.0.1:8000" synth_strategy="extraction" synth_at="2026-11-20T09:12:00Z" source_section_id="88bf51f00bbd1850" -->
### Q
How long are internal certificates valid?
### A
90 days.

::instruction::
### Q
How does the proxy pick up a renewed certificate?
### A
The renewal job sends it a SIGHUP, which reloads certificates without dropping open connections.

::preference#tone::
### Prompt
The renewal job failed overnight. What should I do?
### Chosen
Check the job's log for the failing certificate, fix the cause, and re-run the job; certificates expiring within 30 days are renewed on the next run.
### Rejected
Restart the proxy.

::image path="figures/renewal-flow.png" alt="Renewal job flow"::
The renewal job, the CA and the proxy, with the SIGHUP reload.

::audio path="audio/oncall-briefing.wav" transcript="Certificates renew daily; page the on-call if a renewal fails twice."::

::prose::

# Notes

Expired certificates show up as handshake failures in the proxy log.
