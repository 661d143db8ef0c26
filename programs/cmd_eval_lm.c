/* vsq eval-lm: perplexity of a llama2.c checkpoint on a text file with
 * the llama.cpp protocol (see src/models/llm/perplexity.c), fp32 or with
 * VS-Quant PTQ of every linear layer; --sweep runs the format table. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vsq/llm.h"

typedef struct {
    const char *model, *tok, *text, *json, *sweep;
    llm_quant_opts q;
    llm_ppl_opts ppl;
    llm_split split;
    int llama2c; /* --protocol llama2c */
    int argc;
    char **argv;
} eval_args;

static const char *SPLIT_NAMES[] = {"all", "select", "heldout"};

static int parse_args(int argc, char **argv, eval_args *e) {
    static char model[4096], tok[4096], text[4096];
    snprintf(model, sizeof model, "%s/models/stories260K/stories260K.bin", cli_shared_dir());
    snprintf(tok, sizeof tok, "%s/models/stories260K/tok512.bin", cli_shared_dir());
    snprintf(text, sizeof text, "%s/data/tinystories-val/valid-prefix.txt", cli_shared_dir());
    memset(e, 0, sizeof *e);
    e->model = model;
    e->tok = tok;
    e->text = text;
    e->ppl.ctx = 512;
    e->q.gptq_seed = 1;
    e->argc = argc;
    e->argv = argv;
    const char *v;
    for (int i = 1; i < argc; i++) {
        long n;
        if (cli_opt(argc, argv, &i, "--model", &e->model) ||
            cli_opt(argc, argv, &i, "--tokenizer", &e->tok) ||
            cli_opt(argc, argv, &i, "--text", &e->text) ||
            cli_opt(argc, argv, &i, "--json", &e->json) ||
            cli_opt(argc, argv, &i, "--w", &e->q.w) || cli_opt(argc, argv, &i, "--a", &e->q.a) ||
            cli_opt(argc, argv, &i, "--w-cls", &e->q.w_cls) ||
            cli_opt(argc, argv, &i, "--w-set", &e->q.w_set) ||
            cli_opt(argc, argv, &i, "--sweep", &e->sweep))
            continue;
        if (!strcmp(argv[i], "--full-window")) {
            e->ppl.full_window = 1;
        } else if (!strcmp(argv[i], "--tie-emb")) {
            e->q.tie_emb = 1;
        } else if (!strcmp(argv[i], "--a-quantized-only")) {
            e->q.a_quantized_only = 1;
        } else if (!strcmp(argv[i], "--kv-f16")) {
            e->q.kv_f16 = 1;
        } else if (cli_opt(argc, argv, &i, "--protocol", &v)) {
            if (strcmp(v, "llamacpp") && strcmp(v, "llama2c"))
                return cli_fail(CLI_BADINPUT, "bad --protocol '%s' (llamacpp or llama2c)", v);
            e->llama2c = !strcmp(v, "llama2c");
        } else if (cli_opt(argc, argv, &i, "--split", &v)) {
            int k = 0;
            while (k < 3 && strcmp(v, SPLIT_NAMES[k])) k++;
            if (k == 3) return cli_fail(CLI_BADINPUT, "bad --split '%s' (all, select or heldout)", v);
            e->split = (llm_split)k;
        } else if (cli_opt(argc, argv, &i, "--gptq-seed", &v)) {
            /* 1..: the sampler maps state 0 to 1, so 0 would repeat seed 1 */
            if (cli_parse_long(v, 1, 1L << 30, &n))
                return cli_fail(CLI_BADINPUT, "bad --gptq-seed '%s' (1 .. 2^30)", v);
            e->q.gptq_seed = (uint64_t)n;
        } else if (!strcmp(argv[i], "--int")) {
            e->q.integer = 1;
        } else if (cli_opt(argc, argv, &i, "--kernel", &v)) {
            if (!strcmp(v, "packed"))
                e->q.kernel = LLM_KERNEL_PACKED;
            else if (!strcmp(v, "ref"))
                e->q.kernel = LLM_KERNEL_REF;
            else
                return cli_fail(CLI_BADINPUT, "bad --kernel '%s' (ref or packed)", v);
        } else if (cli_opt(argc, argv, &i, "--limit-windows", &v)) {
            if (cli_parse_long(v, 0, 1 << 30, &n))
                return cli_fail(CLI_BADINPUT, "bad --limit-windows '%s'", v);
            e->ppl.limit_windows = (int)n;
        } else if (cli_opt(argc, argv, &i, "--gptq", &v)) {
            if (cli_parse_long(v, 0, 1 << 24, &n))
                return cli_fail(CLI_BADINPUT, "bad --gptq '%s' (calibration tokens, 0 = off)", v);
            e->q.gptq_tokens = (int)n;
        } else if (cli_opt(argc, argv, &i, "--ctx", &v)) {
            if (cli_parse_long(v, 2, 1 << 20, &n))
                return cli_fail(CLI_BADINPUT, "bad --ctx '%s'", v);
            e->ppl.ctx = (int)n;
        } else {
            return cli_fail(CLI_BADINPUT, "unknown argument '%s' (see vsq eval-lm --help)",
                            argv[i]);
        }
    }
    return CLI_OK;
}

/* The CPU model line of /proc/cpuinfo ("" if unavailable). */
static void cpu_name(char *buf, size_t size) {
    buf[0] = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            snprintf(buf, size, "%s", colon + 2);
            buf[strcspn(buf, "\n")] = 0;
            break;
        }
    }
    if (f) fclose(f);
}

/* Which tensors are stored in which format, and their bits. */
static cJSON *tensors_json(const llm_bits *b) {
    cJSON *arr = cJSON_CreateArray();
    for (int k = 0; k < LLM_N_KINDS; k++) {
        const llm_tensor_bits *t = &b->kind[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddStringToObject(o, "format", t->spec);
        cJSON_AddNumberToObject(o, "matrices", t->count);
        cJSON_AddNumberToObject(o, "weights", t->elems);
        cJSON_AddNumberToObject(o, "bits", t->bits);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON *norms = cJSON_CreateObject();
    cJSON_AddStringToObject(norms, "name", "rmsnorm");
    cJSON_AddStringToObject(norms, "format", "fp32 (not in bpw)");
    cJSON_AddNumberToObject(norms, "weights", b->norm_elems);
    cJSON_AddItemToArray(arr, norms);
    return arr;
}

static cJSON *command_json(const eval_args *e) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < e->argc; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(e->argv[i]));
    return arr;
}

static int write_json(const char *path, const eval_args *e, const llm_ppl_result *r,
                      const llm_bits *b, size_t boundary) {
    const llm_quant_opts *q = &e->q;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nll", r->nll);
    cJSON_AddNumberToObject(o, "ppl", r->ppl);
    cJSON_AddNumberToObject(o, "tokens", (double)r->tokens);
    cJSON_AddNumberToObject(o, "windows", (double)r->windows);
    /* throughput: every position of a window is one forward pass (token by
     * token; windows in parallel over the OpenMP threads) */
    cJSON_AddNumberToObject(o, "positions", (double)r->positions);
    cJSON_AddNumberToObject(o, "seconds", r->seconds);
    cJSON_AddNumberToObject(o, "tokens_per_s", r->seconds > 0 ? (double)r->positions / r->seconds : 0);
    cJSON_AddNumberToObject(o, "threads", omp_get_max_threads());
    cJSON_AddNumberToObject(o, "bpw", b->bpw);
    cJSON_AddNumberToObject(o, "bpw_linear", b->bpw_linear);
    cJSON_AddItemToObject(o, "tensors", tensors_json(b));
    cJSON_AddBoolToObject(o, "tie_emb", q->tie_emb);
    cJSON_AddStringToObject(o, "w", q->w ? q->w : "fp32");
    cJSON_AddStringToObject(o, "a", q->a ? q->a : "fp32");
    cJSON_AddStringToObject(o, "w_cls", q->w_cls ? q->w_cls : (q->w ? q->w : "fp32"));
    if (q->w_set) cJSON_AddStringToObject(o, "w_set", q->w_set);
    cJSON_AddBoolToObject(o, "a_quantized_only", q->a_quantized_only);
    cJSON_AddBoolToObject(o, "kv_f16", q->kv_f16);
    cJSON_AddNumberToObject(o, "gptq_tokens", q->gptq_tokens);
    if (q->gptq_tokens) cJSON_AddNumberToObject(o, "gptq_seed", (double)q->gptq_seed);
    cJSON_AddBoolToObject(o, "integer_path", q->integer);
    if (q->integer)
        cJSON_AddStringToObject(o, "kernel", q->kernel == LLM_KERNEL_REF ? "ref" : "packed");
    cJSON_AddStringToObject(o, "model", e->model);
    cJSON_AddStringToObject(o, "text", e->text);
    cJSON_AddStringToObject(o, "protocol", e->llama2c ? "llama2c" : "llamacpp");
    cJSON_AddStringToObject(o, "split", SPLIT_NAMES[e->split]);
    cJSON_AddNumberToObject(o, "split_byte", (double)boundary);
    cJSON_AddNumberToObject(o, "ctx", e->ppl.ctx);
    cJSON_AddBoolToObject(o, "full_window", e->ppl.full_window);
    cJSON_AddNumberToObject(o, "limit_windows", e->ppl.limit_windows);
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    cJSON_AddStringToObject(o, "cpu", cpu);
    cJSON_AddItemToObject(o, "command", command_json(e));
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (!s) return cli_fail(CLI_FAIL, "out of memory writing JSON");
    int rc = cli_write_text(path, s);
    free(s);
    return rc;
}

/* Quantize as asked and score; the model is left quantized. */
static int eval_one(llm_model *m, const int *tok, size_t n_tok, const eval_args *e,
                    llm_ppl_result *r, llm_bits *b) {
    vsq_status st = llm_bits_count(m, &e->q, b);
    if (!st) st = llm_quantize(m, &e->q);
    if (st) return cli_status(st);
    if (m->integer_path) llm_kernel_report(m, e->q.kernel);
    st = llm_perplexity(m, tok, n_tok, &e->ppl, r);
    return st ? cli_status(st) : CLI_OK;
}

static int run(int argc, char **argv) {
    eval_args e;
    int rc = parse_args(argc, argv, &e);
    if (rc) return rc;
    llm_model m;
    llm_tokenizer t;
    vsq_status st = llm_open(e.model, e.tok, &m, &t);
    if (st) return cli_status(st);
    e.ppl.window_bos = llm_window_bos(&t);
    if (e.llama2c) { /* windows keep their own first token; every position scored */
        e.ppl.window_bos = -1;
        e.ppl.full_window = 1;
    }
    int *tok = NULL;
    size_t n_tok = 0, boundary = 0;
    st = llm_tokenize_file_bos(&t, e.text, e.split, e.llama2c ? LLM_BOS_STORY : LLM_BOS_TEXT, &tok,
                               &n_tok, &boundary);
    if (st) rc = cli_status(st);
    if (!rc && e.sweep) {
        rc = cli_status(llm_sweep(&m, tok, n_tok, &e.ppl, e.sweep));
    } else if (!rc) {
        llm_ppl_result r;
        llm_bits b;
        rc = eval_one(&m, tok, n_tok, &e, &r, &b);
        if (!rc)
            printf("ppl %.4f  nll %.5f  tokens %zu (of %zu, %zu windows, split %s)  bpw %.3f "
                   "(linear layers %.3f)  eval %.1f tok/s\n",
                   r.ppl, r.nll, r.tokens, n_tok, r.windows, SPLIT_NAMES[e.split], b.bpw,
                   b.bpw_linear, r.seconds > 0 ? (double)r.positions / r.seconds : 0.0);
        if (!rc && e.json) rc = write_json(e.json, &e, &r, &b, boundary);
    }
    free(tok);
    llm_tokenizer_free(&t);
    llm_free(&m);
    return rc;
}

const cli_command cmd_eval_lm = {
    "eval-lm", run, "perplexity of a llama2.c checkpoint, fp32 or VS-Quant PTQ",
    "usage: vsq eval-lm [--model FILE] [--tokenizer FILE] [--text FILE] [--json FILE]\n"
    "                   [--w SPEC] [--a SPEC] [--w-cls SPEC|fp32] [--w-set NAME=SPEC,...]\n"
    "                   [--tie-emb] [--a-quantized-only] [--kv-f16]\n"
    "                   [--int] [--kernel packed|ref] [--gptq TOKENS] [--gptq-seed N]\n"
    "                   [--split all|select|heldout] [--protocol llamacpp|llama2c]\n"
    "                   [--limit-windows N] [--full-window] [--ctx N] [--sweep PREFIX]\n"
    "Protocol of llama.cpp's perplexity tool: the whole text tokenized (BOS first),\n"
    "non-overlapping --ctx windows (512), first token of each replaced by BOS, the\n"
    "second half scored (255 tokens per window); --full-window scores every position.\n"
    "--protocol llama2c: llama2.c's validation loss instead (train.py on TinyStories):\n"
    "every story stripped and tokenized on its own with BOS first (story starts: the\n"
    "text's start and each \"Once upon a time\" paragraph), consecutive --ctx windows\n"
    "kept as they are (no BOS put in), every position scored (511 per window).\n"
    "--w: static weight format of every linear layer (q k v o w1 w2 w3, classifier);\n"
    "--w-cls: classifier format (fp32 keeps it); --w-set: per-matrix overrides, NAME\n"
    "in wq wk wv wo w1 w2 w3 cls emb (e.g. wv=int8:v16:s8,cls=fp32; emb = the token\n"
    "embedding, fp32 unless given; NAME=fp16 rounds weights and inputs to binary16,\n"
    "as ggml multiplies an F16 matrix); --tie-emb: the embedding reads the quantized\n"
    "classifier (shared-classifier checkpoints; stored and counted once, as llama.cpp\n"
    "does without an output matrix); --a: dynamic per-token activation\n"
    "format at every linear layer input; --int: run on integer codes: --kernel packed\n"
    "(default; packed weights + vsq_linear_q, falling back to ref per matrix where the\n"
    "format is unsupported) or ref (unpacked codes, vsq_gemm_ref).\n"
    "--gptq N: GPTQ error-compensating rounding of the weights, calibrated on N tokens\n"
    "the fp32 model generates itself (not the evaluation text); 0 = plain rounding;\n"
    "--gptq-seed N: the sampler seed of that text (1 .. 2^30, default 1).\n"
    "--a-quantized-only: quantize activations only at matrices whose weights are\n"
    "quantized (llama.cpp: F32 matrices take F32 inputs); --kv-f16: round q, the K/V\n"
    "cache and the attention probabilities to fp16 (llama.cpp's default F16 cache).\n"
    "--split: score the whole text (all), or the part before (select) or from\n"
    "(heldout) its split point: the first \"Once upon a time\" paragraph at or after\n"
    "the middle byte (TinyStories prefix: byte 398,330); each part tokenized alone.\n"
    "Choose options on select, report heldout.\n"
    "JSON: {nll, ppl, tokens, windows, bpw, bpw_linear, tensors[], w, a, w_cls,\n"
    "w_set, tie_emb, gptq_tokens, gptq_seed, protocol, split, split_byte, cpu, command,\n"
    "positions, seconds, tokens_per_s, threads, ...}; tokens_per_s: forward passes\n"
    "(positions) per second of wall time while scoring (also on the summary line);\n"
    "bpw: bits per stored weight over every weight matrix, token embedding included\n"
    "(once if tied), scale overhead included, fp32 = 32; RMSNorm gains listed apart.\n"
    "bpw_linear: over the linear layers and classifier only.\n"
    "--sweep PREFIX: run the Table 6/7 format sweep, writing PREFIX.csv and PREFIX.md.\n"
    "Defaults: stories260K and the TinyStories prefix in the shared folder.\n"};
