---
dlm_id: 01KPQ9X1000000000000000002
dlm_version: 15
base_model: smollm2-135m
system_prompt: |
  You answer questions about running a local model server.
---

# How to serve a local model with an OpenAI-compatible API

1. Install a server that speaks the OpenAI chat completions protocol, for example
   llama.cpp's `llama-server`, vLLM, or Ollama.
2. Start it on the loopback interface only, e.g.
   `llama-server -m model.gguf --host 127.0.0.1 --port 8080`.
3. Check that `GET http://127.0.0.1:8080/v1/models` lists the model.
4. Point clients at `http://127.0.0.1:8080/v1` as their base URL.

Binding to 127.0.0.1 keeps the server unreachable from other machines. A server
started with `--host 0.0.0.0` listens on every interface and should sit behind a
firewall or an authenticating proxy.

::prose::

# Troubleshooting

If requests time out, the model is probably still loading: large GGUF files take
tens of seconds to map on first use. A `429` status means the server's queue is
full; retry after the delay it sends in `Retry-After`.
