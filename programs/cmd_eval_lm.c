/* vsq eval-lm: perplexity of a llama2.c checkpoint on a text file with
 * the llama.cpp protocol (see src/models/llm/perplexity.c), fp32 or with
 * VS-Quant PTQ of every linear layer; --sweep runs the format table. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "models/llm/llm.h"

typedef struct {
    const char *model, *tok, *text, *json, *sweep;
    llm_quant_opts q;
    llm_ppl_opts ppl;
} eval_args;

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

static int write_json(const char *path, const llm_ppl_result *r, double bpw,
                      const llm_quant_opts *q) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nll", r->nll);
    cJSON_AddNumberToObject(o, "ppl", r->ppl);
    cJSON_AddNumberToObject(o, "tokens", (double)r->tokens);
    cJSON_AddNumberToObject(o, "windows", (double)r->windows);
    cJSON_AddNumberToObject(o, "bpw", bpw);
    cJSON_AddStringToObject(o, "w", q->w ? q->w : "fp32");
    cJSON_AddStringToObject(o, "a", q->a ? q->a : "fp32");
    cJSON_AddStringToObject(o, "w_cls", q->w_cls ? q->w_cls : (q->w ? q->w : "fp32"));
    if (q->w_set) cJSON_AddStringToObject(o, "w_set", q->w_set);
    cJSON_AddNumberToObject(o, "gptq_tokens", q->gptq_tokens);
    cJSON_AddBoolToObject(o, "integer_path", q->integer);
    if (q->integer)
        cJSON_AddStringToObject(o, "kernel", q->kernel == LLM_KERNEL_REF ? "ref" : "packed");
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (!s) return cli_fail(CLI_FAIL, "out of memory writing JSON");
    int rc = cli_write_text(path, s);
    free(s);
    return rc;
}

/* Quantize as asked and score; the model is left quantized. */
static int eval_one(llm_model *m, const int *tok, size_t n_tok, const eval_args *e,
                    llm_ppl_result *r, double *bpw) {
    vsq_status st = llm_quantize(m, &e->q);
    if (st) return cli_status(st);
    if (m->integer_path) llm_kernel_report(m, e->q.kernel);
    st = llm_perplexity(m, tok, n_tok, &e->ppl, r);
    if (st) return cli_status(st);
    *bpw = llm_bpw(m, &e->q);
    return CLI_OK;
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
    int *tok = NULL;
    size_t n_tok = 0;
    st = llm_tokenize_file(&t, e.text, &tok, &n_tok);
    if (st) rc = cli_status(st);
    if (!rc && e.sweep) {
        rc = cli_status(llm_sweep(&m, tok, n_tok, &e.ppl, e.sweep));
    } else if (!rc) {
        llm_ppl_result r;
        double bpw = 32.0;
        rc = eval_one(&m, tok, n_tok, &e, &r, &bpw);
        if (!rc)
            printf("ppl %.4f  nll %.5f  tokens %zu (of %zu, %zu windows)  bpw %.3f\n", r.ppl, r.nll,
                   r.tokens, n_tok, r.windows, bpw);
        if (!rc && e.json) rc = write_json(e.json, &r, bpw, &e.q);
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
    "                   [--int] [--kernel packed|ref] [--gptq TOKENS]\n"
    "                   [--limit-windows N] [--full-window] [--ctx N] [--sweep PREFIX]\n"
    "Protocol of llama.cpp's perplexity tool: the whole text tokenized (BOS first),\n"
    "non-overlapping --ctx windows (512), first token of each replaced by BOS, the\n"
    "second half scored (255 tokens per window); --full-window scores every position.\n"
    "--w: static weight format of every linear layer (q k v o w1 w2 w3, classifier);\n"
    "--w-cls: classifier format (fp32 keeps it); --w-set: per-matrix overrides, NAME\n"
    "in wq wk wv wo w1 w2 w3 cls (e.g. wv=int8:v16:s8,cls=fp32); --a: dynamic per-token "
    "activation\n"
    "format at every linear layer input; --int: run on integer codes: --kernel packed\n"
    "(default; packed weights + vsq_linear_q, falling back to ref per matrix where the\n"
    "format is unsupported) or ref (unpacked codes, vsq_gemm_ref).\n"
    "--gptq N: GPTQ error-compensating rounding of the weights, calibrated on N tokens\n"
    "the fp32 model generates itself (not the evaluation text); 0 = plain rounding.\n"
    "JSON: {nll, ppl, tokens, windows, bpw, w, a, w_cls, integer_path}; bpw averages\n"
    "the bits per weight (scale overhead included, fp32 = 32) over all linear layers.\n"
    "--sweep PREFIX: run the Table 6/7 format sweep, writing PREFIX.csv and PREFIX.md.\n"
    "Defaults: stories260K and the TinyStories prefix in the shared folder.\n"};
