"""A tiny random causal LM, tokenizer and LoRA adapter built in-process for tests.

No model hub is reachable on CI, and no small instruct model of usable quality ships
inside a package, so the local-teacher and judge tests run against a ~32-wide, 2-layer
Llama with a byte-level BPE tokenizer trained here on a built-in corpus. Its output is
junk by design: the tests check loading, prompting, sampling controls, timeouts,
cancellation and scoring arithmetic, not quality. Everything is seeded, so two builds
give the same weights and the same tokenizer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Markers the chat template wraps around each turn; tests look for them in the tokens
# the model actually received, to prove the template was applied.
SYSTEM_MARKER = "<|system|>"
USER_MARKER = "<|user|>"
ASSISTANT_MARKER = "<|assistant|>"
EOS = "<|end|>"
PAD = "<|pad|>"
BOS = "<|bos|>"

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)

_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "System:\nYou write question and answer pairs.\n\nUser:\nRead the section.\n\nAssistant:\n",
    "Question: what does the document say? Answer: it explains the format.",
    'Return a JSON list of objects with "question" and "answer" keys.',
    "I don't know. The adapter was trained on the document prose.",
    "Training data, instructions, preferences and sections of a dlm file.",
    "0123456789 []{}:,.;!?'\"-_/\\()<>=+*&%$#@",
]


def build_tiny_model(directory: Path, *, seed: int = 1234) -> Path:
    """Write a tiny Llama + tokenizer (with chat template, bos/eos/pad) to `directory`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    specials = [PAD, BOS, EOS, SYSTEM_MARKER, USER_MARKER, ASSISTANT_MARKER]
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_CORPUS * 4, trainer=trainer)
    bos_id = raw.token_to_id(BOS)
    raw.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, bos_id)]
    )
    fast: Any = PreTrainedTokenizerFast  # untyped constructor in transformers' stubs
    tokenizer = fast(tokenizer_object=raw, bos_token=BOS, eos_token=EOS, pad_token=PAD)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(directory)

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(directory)
    return directory


def build_tiny_adapter(model_dir: Path, store_root: Path, *, seed: int = 99) -> Path:
    """Write a LoRA adapter (r=2 on q/v projections) for the tiny model in upstream's
    store layout: `adapter/versions/v0001/` plus `adapter/current.txt` holding that
    path relative to the store root, which is what `dlm train` writes."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(model_dir)
    torch.manual_seed(seed)
    config = LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(base, config)
    rel = Path("adapter") / "versions" / "v0001"
    version_dir = store_root / rel
    version_dir.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(str(version_dir))
    # upstream saves the training tokenizer next to the adapter (source of truth)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(version_dir)
    (store_root / "adapter" / "current.txt").write_text(rel.as_posix() + "\n", encoding="utf-8")
    return version_dir


_GGUF_TENSOR_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_GGUF_LAYER_NAMES = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def _gguf_name(hf_name: str) -> str:
    if hf_name in _GGUF_TENSOR_NAMES:
        return _GGUF_TENSOR_NAMES[hf_name]
    _, _, index, rest = hf_name.split(".", 3)
    module, _, suffix = rest.rpartition(".")
    return f"blk.{index}.{_GGUF_LAYER_NAMES[module]}.{suffix}"


def build_tiny_gguf(model_dir: Path, path: Path) -> Path:
    """The tiny model as an f32 GGUF file (llama architecture, gpt2-style BPE
    tokenizer in the metadata), to exercise `hf:<file>.gguf` loading. Weights are
    written unpermuted: the model is random anyway, only loading is under test."""
    import json

    import gguf
    from transformers import AutoConfig, AutoModelForCausalLM

    config: Any = AutoConfig.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    vocab: dict[str, int] = spec["model"]["vocab"]
    specials = {t["id"]: t["content"] for t in spec["added_tokens"]}
    tokens = [""] * config.vocab_size
    for token, index in vocab.items():
        tokens[index] = token
    for index, token in specials.items():
        tokens[index] = token
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-test-llama")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_dimension_count(config.hidden_size // config.num_attention_heads)
    writer.add_rope_freq_base(float(config.rope_parameters["rope_theta"]))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(
        [gguf.TokenType.CONTROL if i in specials else gguf.TokenType.NORMAL for i in range(len(tokens))]
    )
    writer.add_token_merges(merges)
    writer.add_bos_token_id(config.bos_token_id)
    writer.add_eos_token_id(config.eos_token_id)
    writer.add_pad_token_id(config.pad_token_id)
    writer.add_add_bos_token(True)
    writer.add_chat_template(CHAT_TEMPLATE)
    for name, tensor in model.state_dict().items():
        writer.add_tensor(_gguf_name(name), tensor.detach().float().numpy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
