#!/usr/bin/env python3
"""Write a random-weight llama2.c checkpoint (for speed runs only).

    bench/make_synth_llm.py OUT.bin [dim hidden layers heads kv_heads vocab seq_len]

Defaults: 512 1376 8 8 8 512 256 (~25M parameters, ~100 MB). vocab 512
matches stories260K's tok512.bin so `vsq generate` can use that tokenizer.
Weights are uniform with unit output variance (+-sqrt(3/cols)); norms are 1.
No numpy: values come from os.urandom through the array module."""
import array, math, os, struct, sys


def uniform(n, bound):
    """n floats uniform in [-bound, bound) from 16-bit random integers."""
    raw = array.array("h", os.urandom(2 * n))
    return array.array("f", (v * (bound / 32768.0) for v in raw))


def main():
    out = sys.argv[1]
    dim, hidden, layers, heads, kv, vocab, seq = (
        [int(v) for v in sys.argv[2:9]] if len(sys.argv) >= 9 else [512, 1376, 8, 8, 8, 512, 256])
    hs = dim // heads
    kv_dim = hs * kv
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("7i", dim, hidden, layers, heads, kv, vocab, seq))
        w = lambda rows, cols, count=1: uniform(count * rows * cols, math.sqrt(3.0 / cols)).tofile(f)
        ones = lambda n: array.array("f", [1.0] * n).tofile(f)
        w(vocab, dim)                 # token embedding (shared classifier)
        ones(layers * dim)            # rms_att
        w(dim, dim, layers)           # wq
        w(kv_dim, dim, layers)        # wk
        w(kv_dim, dim, layers)        # wv
        w(dim, dim, layers)           # wo
        ones(layers * dim)            # rms_ffn
        w(hidden, dim, layers)        # w1
        w(dim, hidden, layers)        # w2
        w(hidden, dim, layers)        # w3
        ones(dim)                     # rms_final
        array.array("f", [0.0] * (seq * hs)).tofile(f)  # legacy freq_cis real + imag
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
