#!/usr/bin/env python3
"""llama.cpp side of the Q4_0 / Q8_0 comparison (bench/llamacpp_ppl.sh).

Runs inside the bench's own virtual environment (llama-cpp-python + gguf),
never as part of the library or its tests. Subcommands:

  convert CKPT TOK OUT.gguf     llama2.c checkpoint + tokenizer -> GGUF F32
  quantize IN.gguf OUT.gguf T   llama.cpp's own quantizer (llama_model_quantize),
                                T in q4_0, q8_0
  types GGUF                    JSON {tensor name: ggml type}
  ppl GGUF TEXT [opts]          perplexity, llama.cpp's protocol: windows of
                                512 tokens (BOS first), second half scored;
                                --buffers default|plain|repack (llamacpp_bufts.py)
  ckpt GGUF OUT.bin             dequantize every tensor back into a llama2.c
                                checkpoint (llama.cpp's exact weights, for vsq)

The split rule of `ppl --split` is the one of vsq eval-lm (text_split.c):
the first "\\n\\nOnce upon a time" at or after the middle byte.
"""
import argparse
import json
import math
import struct
import sys
import time

import numpy as np


def read_llama2c(path):
    """Header dict and named float32 arrays of a llama2.c checkpoint."""
    raw = open(path, "rb").read()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack("7i", raw[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    hs = dim // n_heads
    kv = hs * n_kv
    f = np.frombuffer(raw, dtype=np.float32, offset=28)
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        a = f[pos:pos + n].reshape(shape)
        pos += n
        return a

    w = {"tok_emb": take(vocab, dim), "rms_att": take(n_layers, dim),
         "wq": take(n_layers, dim, dim), "wk": take(n_layers, kv, dim),
         "wv": take(n_layers, kv, dim), "wo": take(n_layers, dim, dim),
         "rms_ffn": take(n_layers, dim), "w1": take(n_layers, hidden, dim),
         "w2": take(n_layers, dim, hidden), "w3": take(n_layers, hidden, dim),
         "rms_final": take(dim)}
    take(seq_len, hs)  # legacy freq_cis tables
    w["cls"] = w["tok_emb"] if shared else take(vocab, dim)
    if pos != f.size:
        sys.exit(f"{path}: size does not match the header")
    cfg = dict(dim=dim, hidden=hidden, n_layers=n_layers, n_heads=n_heads, n_kv=n_kv,
               vocab=vocab, seq_len=seq_len, shared=shared)
    return cfg, w


def read_tok512(path, vocab):
    raw = open(path, "rb").read()
    off = 4
    pieces, scores = [], []
    for _ in range(vocab):
        score, n = struct.unpack_from("fi", raw, off)
        off += 8
        pieces.append(raw[off:off + n])
        off += n
        scores.append(score)
    return pieces, scores


# llama2.c layer tensors -> GGUF names (numpy shape rows x cols = ggml ne1 x ne0)
LAYER_NAMES = {"rms_att": "attn_norm", "wq": "attn_q", "wk": "attn_k", "wv": "attn_v",
               "wo": "attn_output", "rms_ffn": "ffn_norm", "w1": "ffn_gate",
               "w2": "ffn_down", "w3": "ffn_up"}


def cmd_convert(a):
    import gguf
    cfg, w = read_llama2c(a.ckpt)
    pieces, scores = read_tok512(a.tok, cfg["vocab"])
    out = gguf.GGUFWriter(a.out, "llama")
    out.add_name("stories260K")
    out.add_context_length(cfg["seq_len"])
    out.add_embedding_length(cfg["dim"])
    out.add_block_count(cfg["n_layers"])
    out.add_feed_forward_length(cfg["hidden"])
    out.add_head_count(cfg["n_heads"])
    out.add_head_count_kv(cfg["n_kv"])
    out.add_rope_dimension_count(cfg["dim"] // cfg["n_heads"])
    out.add_layer_norm_rms_eps(1e-5)
    out.add_rope_freq_base(10000.0)
    out.add_file_type(gguf.LlamaFileType.ALL_F32)
    # SentencePiece vocabulary: llama2.c stores spaces as ' ', SPM as U+2581
    toks, types = [], []
    for i, p in enumerate(pieces):
        toks.append(p.replace(b" ", "\u2581".encode()))
        if i == 0:
            types.append(gguf.TokenType.UNKNOWN)
        elif i in (1, 2):
            types.append(gguf.TokenType.CONTROL)
        elif 3 <= i <= 258:
            types.append(gguf.TokenType.BYTE)
        else:
            types.append(gguf.TokenType.NORMAL)
    out.add_tokenizer_model("llama")
    out.add_token_list(toks)
    out.add_token_scores(scores)
    out.add_token_types(types)
    out.add_bos_token_id(1)
    out.add_eos_token_id(2)
    out.add_unk_token_id(0)
    out.add_add_bos_token(True)
    out.add_add_eos_token(False)
    out.add_tensor("token_embd.weight", np.ascontiguousarray(w["tok_emb"]))
    for l in range(cfg["n_layers"]):
        for k, name in LAYER_NAMES.items():
            out.add_tensor(f"blk.{l}.{name}.weight", np.ascontiguousarray(w[k][l]))
    out.add_tensor("output_norm.weight", np.ascontiguousarray(w["rms_final"]))
    if not cfg["shared"]:  # tied: llama.cpp reads the output from token_embd
        out.add_tensor("output.weight", np.ascontiguousarray(w["cls"]))
    out.write_header_to_file()
    out.write_kv_data_to_file()
    out.write_tensors_to_file()
    out.close()


def cmd_quantize(a):
    import ctypes
    import llama_cpp
    ftype = {"q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0,
             "q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0}[a.type]
    p = llama_cpp.llama_model_quantize_default_params()
    p.ftype = ftype
    p.nthread = 2
    rc = llama_cpp.llama_model_quantize(a.inp.encode(), a.out.encode(), ctypes.byref(p))
    if rc != 0:
        sys.exit(f"llama_model_quantize failed ({rc})")


def cmd_types(a):
    import gguf
    r = gguf.GGUFReader(a.gguf)
    print(json.dumps({t.name: t.tensor_type.name for t in r.tensors}, indent=1))


def split_text(raw, part):
    """The part of the text (bytes), split as vsq does, on bytes."""
    if part == "all":
        return raw
    at = raw.find(b"\n\nOnce upon a time", len(raw) // 2)
    if at < 0:
        sys.exit("split: no story start in the second half")
    return raw[:at] if part == "select" else raw[at + 2:]


def cmd_ppl(a):
    import llama_cpp

    import llamacpp_bufts
    llamacpp_bufts.use(a.buffers)
    text = split_text(open(a.text, "rb").read(), a.split).decode("utf-8")
    kv_types = {"f16": llama_cpp.GGML_TYPE_F16, "f32": llama_cpp.GGML_TYPE_F32}
    llm = llama_cpp.Llama(model_path=a.gguf, n_ctx=a.ctx, n_batch=a.ctx, n_ubatch=a.ctx,
                          logits_all=True, n_threads=a.threads, n_threads_batch=a.threads,
                          type_k=kv_types[a.kv], type_v=kv_types[a.kv],
                          flash_attn=a.flash_attn, verbose=False)
    # llama.cpp's perplexity tool: tokenize the whole text, with BOS when the
    # model adds one (the tokenizer adds SentencePiece's leading space), as
    # vsq does; each window then starts with BOS only for such models
    add_bos = str(llm.metadata.get("tokenizer.ggml.add_bos_token", "true")).lower() == "true"
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)
    n_win = len(tokens) // a.ctx
    if a.limit_windows:
        n_win = min(n_win, a.limit_windows)
    first = a.ctx // 2
    nll, count, t0 = 0.0, 0, time.time()
    for wi in range(n_win):
        win = list(tokens[wi * a.ctx:(wi + 1) * a.ctx])
        if add_bos:
            win[0] = llm.token_bos()
        llm.reset()
        t_win = time.time()
        llm.eval(win)
        pp_seconds = time.time() - t_win
        logits = np.asarray(llm.scores[:a.ctx], dtype=np.float64)
        x = logits[first:a.ctx - 1]
        tgt = np.asarray(win[first + 1:a.ctx])
        m = x.max(axis=1)
        lse = np.log(np.exp(x - m[:, None]).sum(axis=1)) + m
        nll += float((lse - x[np.arange(len(tgt)), tgt]).sum())
        count += len(tgt)
        if sys.stderr.isatty():
            print(f"\r[{wi + 1}/{n_win}] ppl {math.exp(nll / count):.4f}", end="",
                  file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    res = dict(engine="llama.cpp (llama-cpp-python %s)" % llama_cpp.__version__,
               gguf=a.gguf, text=a.text, split=a.split, kv=a.kv, flash_attn=a.flash_attn,
               text_tokens=len(tokens), windows=n_win, tokens=count,
               nll=nll / count, ppl=math.exp(nll / count), seconds=time.time() - t0,
               threads=a.threads, last_window_tokens_per_s=a.ctx / pp_seconds)
    print(json.dumps(res))


def cmd_ckpt(a):
    import gguf
    from gguf.quants import dequantize
    r = gguf.GGUFReader(a.gguf)
    kv = {f.name: f for f in r.fields.values()}

    def num(key):
        f = kv[key]
        return int(f.parts[f.data[0]][0])
    dim = num("llama.embedding_length")
    hidden = num("llama.feed_forward_length")
    n_layers = num("llama.block_count")
    n_heads = num("llama.attention.head_count")
    n_kv = num("llama.attention.head_count_kv")
    seq_len = num("llama.context_length")
    t = {x.name: x for x in r.tensors}

    def deq(name):
        x = t[name]
        return np.asarray(dequantize(x.data, x.tensor_type), dtype=np.float32).reshape(
            [int(d) for d in reversed(x.shape)])
    emb = deq("token_embd.weight")
    vocab = emb.shape[0]
    shared = "output.weight" not in t
    parts = [emb]
    order = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
             "ffn_gate", "ffn_down", "ffn_up"]
    for name in order:
        parts += [deq(f"blk.{l}.{name}.weight") for l in range(n_layers)]
    parts.append(deq("output_norm.weight"))
    parts.append(np.zeros((seq_len, dim // n_heads), np.float32))  # freq_cis (unused)
    if not shared:
        parts.append(deq("output.weight"))
    with open(a.out, "wb") as f:
        f.write(struct.pack("7i", dim, hidden, n_layers, n_heads, n_kv,
                            vocab if shared else -vocab, seq_len))
        for p in parts:
            f.write(np.ascontiguousarray(p, dtype=np.float32).tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("convert")
    p.add_argument("ckpt")
    p.add_argument("tok")
    p.add_argument("out")
    p = sub.add_parser("quantize")
    p.add_argument("inp")
    p.add_argument("out")
    p.add_argument("type", choices=["q4_0", "q8_0"])
    p = sub.add_parser("types")
    p.add_argument("gguf")
    p = sub.add_parser("ppl")
    p.add_argument("gguf")
    p.add_argument("text")
    p.add_argument("--split", choices=["all", "select", "heldout"], default="all")
    p.add_argument("--ctx", type=int, default=512)
    p.add_argument("--kv", choices=["f16", "f32"], default="f16")
    p.add_argument("--flash-attn", action="store_true")
    p.add_argument("--threads", type=int, default=1)  # results do not depend on it
    p.add_argument("--limit-windows", type=int, default=0)
    # where llama.cpp keeps the weights (bench/llamacpp_bufts.py)
    p.add_argument("--buffers", choices=["default", "plain", "repack"], default="default")
    p = sub.add_parser("ckpt")
    p.add_argument("gguf")
    p.add_argument("out")
    a = ap.parse_args()
    {"convert": cmd_convert, "quantize": cmd_quantize, "types": cmd_types,
     "ppl": cmd_ppl, "ckpt": cmd_ckpt}[a.cmd](a)


if __name__ == "__main__":
    main()
