/* vsq generate: text from a llama2.c checkpoint, fp32 or VS-Quant
 * quantized. Only the generated text goes to stdout; speed to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vsq/llm.h"

static void print_piece(const char *piece, void *ctx) {
    (void)ctx;
    fputs(piece, stdout);
    fflush(stdout);
}

static void drop_piece(const char *piece, void *ctx) { (void)piece, (void)ctx; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    const char *model, *tok, *prompt;
    float temp, topp;
    unsigned long long seed;
    long steps;
    llm_quant_opts q;
    int fake; /* quantized but through float math (fake-quant) */
} gen_args;

static int parse_args(int argc, char **argv, gen_args *g) {
    static char model[4096], tok[4096];
    snprintf(model, sizeof model, "%s/models/stories260K/stories260K.bin", cli_shared_dir());
    snprintf(tok, sizeof tok, "%s/models/stories260K/tok512.bin", cli_shared_dir());
    *g = (gen_args){model, tok, "", 1.0f, 0.9f, (unsigned long long)time(NULL), 256, {0}, 0};
    const char *v;
    for (int i = 1; i < argc; i++) {
        double d;
        long n;
        if (cli_opt(argc, argv, &i, "--model", &g->model) ||
            cli_opt(argc, argv, &i, "--tokenizer", &g->tok) ||
            cli_opt(argc, argv, &i, "--prompt", &g->prompt) ||
            cli_opt(argc, argv, &i, "--w", &g->q.w) || cli_opt(argc, argv, &i, "--a", &g->q.a) ||
            cli_opt(argc, argv, &i, "--w-cls", &g->q.w_cls) ||
            cli_opt(argc, argv, &i, "--w-set", &g->q.w_set))
            continue;
        if (!strcmp(argv[i], "--fake")) {
            g->fake = 1;
        } else if (cli_opt(argc, argv, &i, "--kernel", &v)) {
            if (!strcmp(v, "packed"))
                g->q.kernel = LLM_KERNEL_PACKED;
            else if (!strcmp(v, "ref"))
                g->q.kernel = LLM_KERNEL_REF;
            else
                return cli_fail(CLI_BADINPUT, "bad --kernel '%s' (ref or packed)", v);
        } else if (cli_opt(argc, argv, &i, "--temp", &v)) {
            if (cli_parse_double(v, &d) || d < 0)
                return cli_fail(CLI_BADINPUT, "bad --temp '%s'", v);
            g->temp = (float)d;
        } else if (cli_opt(argc, argv, &i, "--topp", &v)) {
            if (cli_parse_double(v, &d) || d < 0 || d > 1)
                return cli_fail(CLI_BADINPUT, "bad --topp '%s' (0..1)", v);
            g->topp = (float)d;
        } else if (cli_opt(argc, argv, &i, "--seed", &v)) {
            if (cli_parse_long(v, 0, 0x7fffffffffffffffL, &n))
                return cli_fail(CLI_BADINPUT, "bad --seed '%s'", v);
            g->seed = (unsigned long long)n;
        } else if (cli_opt(argc, argv, &i, "--steps", &v)) {
            if (cli_parse_long(v, 0, 1 << 20, &n))
                return cli_fail(CLI_BADINPUT, "bad --steps '%s'", v);
            g->steps = n;
        } else {
            return cli_fail(CLI_BADINPUT, "unknown argument '%s' (see vsq generate --help)",
                            argv[i]);
        }
    }
    /* Both formats given: run the integer kernels unless --fake. */
    g->q.integer = g->q.w && g->q.a && !g->fake;
    return CLI_OK;
}

/* Generate once; returns tokens per second (forward passes / time). */
static int timed_run(const llm_model *m, const llm_tokenizer *t, const gen_args *g,
                     llm_emit_fn emit, double *tps) {
    llm_sampler s;
    vsq_status st = llm_sampler_init(&s, m->cfg.vocab_size, g->temp, g->topp, g->seed);
    if (st) return cli_status(st);
    int n = 0;
    double t0 = now_s();
    st = llm_generate(m, t, &s, g->prompt, (int)g->steps, emit, NULL, &n);
    double dt = now_s() - t0;
    llm_sampler_free(&s);
    if (st) return cli_status(st);
    *tps = dt > 0 ? n / dt : 0.0;
    return CLI_OK;
}

static int run(int argc, char **argv) {
    gen_args g;
    int rc = parse_args(argc, argv, &g);
    if (rc) return rc;
    llm_model m;
    llm_tokenizer t;
    vsq_status st = llm_open(g.model, g.tok, &m, &t);
    if (st) return cli_status(st);
    int quant = g.q.w || g.q.a || g.q.w_cls || g.q.w_set;
    double tps = 0, tps_fp32 = 0;
    if (quant && (st = llm_quantize(&m, &g.q))) rc = cli_status(st);
    if (!rc && m.integer_path) llm_kernel_report(&m, g.q.kernel);
    const char *path = !g.q.integer ? "fake-quant"
                       : m.n_packed == 0 ? "integer, reference kernel"
                       : m.n_ref == 0    ? "integer, packed kernels"
                                         : "integer, packed + reference kernels";
    if (!rc) rc = timed_run(&m, &t, &g, print_piece, &tps);
    if (!rc) printf("\n");
    if (!rc && quant) { /* same run in fp32, for the speed comparison */
        llm_unquantize(&m);
        rc = timed_run(&m, &t, &g, drop_piece, &tps_fp32);
    }
    if (!rc && quant)
        fprintf(stderr, "achieved tok/s: %.1f (%s path; %s path: %.1f; ratio %.2f)\n", tps,
                path, m.run_stored ? "file's own blocks (GGUF)" : "fp32", tps_fp32,
                tps_fp32 > 0 ? tps / tps_fp32 : 0.0);
    else if (!rc)
        fprintf(stderr, "achieved tok/s: %.1f\n", tps);
    llm_tokenizer_free(&t);
    llm_free(&m);
    return rc;
}

const cli_command cmd_generate = {
    "generate", run, "generate text with a llama2.c checkpoint (fp32 or quantized)",
    "usage: vsq generate [--model FILE] [--tokenizer FILE] [--prompt TEXT] [--temp T]\n"
    "                    [--topp P] [--seed S] [--steps N] [--w SPEC] [--a SPEC]\n"
    "                    [--w-cls SPEC|fp32] [--w-set NAME=SPEC,...] [--fake]\n"
    "                    [--kernel packed|ref]\n"
    "Prints the generated text on stdout, tokens/s on stderr. Defaults: the\n"
    "stories260K model in the shared folder, temperature 1.0 (0 = greedy), top-p 0.9,\n"
    "256 steps (the BOS position counted), seed from the clock.\n"
    "--w/--a quantize every linear layer's weights (static) and input activations\n"
    "(dynamic, per token); with both, the layers run on integer codes + scales\n"
    "unless --fake asks for float fake-quantization. --kernel packed (default): weights\n"
    "packed once, fused activation quantization + packed GEMV (vsq_linear_q); formats\n"
    "those kernels lack fall back to ref (noted on stderr). --kernel ref: unpacked\n"
    "codes through vsq_gemm_ref. The fp32 speed is measured in the same run;\n"
    "threads: OMP_NUM_THREADS.\n"};
