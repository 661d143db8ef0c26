#!/usr/bin/env python3
"""llama.cpp side of the SmolLM2 decode race (bench/smollm2_llamacpp.sh).

Runs in the bench's own virtual environment (llama-cpp-python), never as a
dependency of the library or its tests.

  llamacpp_decode.py GGUF PROMPT N THREADS [BUFFERS]

Greedy decoding of N tokens after PROMPT (argmax of the logits, no sampler),
one token per eval as in a chat; prints JSON with the generated ids, decode
tokens/s (N tokens over their wall time, prompt excluded) and the prompt's
processing rate. BUFFERS (default, plain, repack; bench/llamacpp_bufts.py)
says where llama.cpp keeps the weights.
"""
import json
import sys
import time

import numpy as np
import llama_cpp

import llamacpp_bufts


def main():
    path, prompt, n, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    bufs = sys.argv[5] if len(sys.argv) > 5 else "default"
    llamacpp_bufts.use(bufs)
    llm = llama_cpp.Llama(model_path=path, n_ctx=1024, n_batch=512, n_threads=threads,
                          n_threads_batch=threads, logits_all=True, verbose=False)
    toks = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=False)
    t0 = time.time()
    llm.eval(toks)
    t_prompt = time.time() - t0
    out = []
    t1 = time.time()
    for _ in range(n):
        t = int(np.argmax(np.asarray(llm.scores[llm.n_tokens - 1])))
        out.append(t)
        llm.eval([t])
    t_dec = time.time() - t1
    print(json.dumps(dict(engine="llama.cpp (llama-cpp-python %s)" % llama_cpp.__version__,
                          prompt_tokens=len(toks), prompt_tokens_per_s=len(toks) / t_prompt,
                          decode_tokens=n, decode_tokens_per_s=n / t_dec, threads=threads,
                          buffers=bufs,
                          text=llm.detokenize(out).decode("utf-8", errors="replace"),
                          ids=out)))


if __name__ == "__main__":
    main()
