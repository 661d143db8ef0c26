/* vsq embed: sentence embeddings (mean pooling + L2 normalisation, as
 * sentence-transformers) of a BERT encoder for one sentence a line, fp32
 * or with VS-Quant PTQ, written as a float32 [n, hidden] .npy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert_cli.h"
#include "cli.h"
#include "commands.h"

typedef struct {
    bert_run_opts run;
    const char *text, *out, *w, *a, *cfg, *attn_a;
    int packed;
    char wbuf[96], abuf[96];
} embed_args;

static int parse_args(int argc, char **argv, embed_args *e) {
    memset(e, 0, sizeof *e);
    bert_run_defaults(&e->run);
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--model", &e->run.model) ||
            cli_opt(argc, argv, &i, "--text", &e->text) || cli_opt(argc, argv, &i, "--ids", &e->run.ids) ||
            cli_opt(argc, argv, &i, "--out", &e->out) || cli_opt(argc, argv, &i, "--w", &e->w) ||
            cli_opt(argc, argv, &i, "--a", &e->a) || cli_opt(argc, argv, &i, "--cfg", &e->cfg) ||
            cli_opt(argc, argv, &i, "--attn-a", &e->attn_a))
            continue;
        if (cli_opt(argc, argv, &i, "--kernel", &v)) {
            if (strcmp(v, "packed") && strcmp(v, "fake"))
                return cli_fail(CLI_BADINPUT, "bad --kernel '%s' (fake or packed)", v);
            e->packed = !strcmp(v, "packed");
        } else {
            return cli_fail(CLI_BADINPUT, "unknown argument '%s' (see vsq embed --help)", argv[i]);
        }
    }
    if (!e->out) return cli_fail(CLI_BADINPUT, "--out E.npy is required");
    if (!e->text && !e->run.ids) return cli_fail(CLI_BADINPUT, "--text FILE (or --ids FILE) is required");
    if (e->cfg && (e->w || e->a)) return cli_fail(CLI_BADINPUT, "--cfg replaces --w and --a: give one or the other");
    if (e->cfg) {
        vsq_layer_cfg lc;
        vsq_status st = vsq_layer_cfg_parse(e->cfg, 16, &lc);
        if (st) return cli_status(st);
        vsq_format_str(&lc.w, e->wbuf, sizeof e->wbuf);
        vsq_format_str(&lc.a, e->abuf, sizeof e->abuf);
        e->w = e->wbuf, e->a = e->abuf;
    }
    return CLI_OK;
}

static void progress(size_t done, size_t total) { cli_progress("embed", done, total); }

/* Sentences from --text (tokenized) or straight from --ids. */
static int sentences(const embed_args *e, const bert_model *m, bert_ids *ids) {
    if (!e->text) {
        vsq_status st = bert_ids_load(e->run.ids, 128, m->cfg.vocab, ids);
        return st ? cli_status(st) : CLI_OK;
    }
    char *buf, **lines;
    int n;
    vsq_status st = bert_read_lines(e->text, &buf, &lines, &n);
    if (st) return cli_status(st);
    int rc = bert_run_tokenize(&e->run, m, lines, n, ids);
    free(lines);
    free(buf);
    return rc;
}

static int run(int argc, char **argv) {
    embed_args e;
    int rc = parse_args(argc, argv, &e);
    if (rc) return rc;
    bert_model m;
    vsq_status st = bert_load(e.run.model, &m);
    if (st) return cli_status(st);
    bert_ids ids;
    if ((rc = sentences(&e, &m, &ids))) {
        bert_free(&m);
        return rc;
    }
    bert_quant_opts q = {e.w, e.a, e.attn_a, e.packed, 0, NULL, 0, NULL};
    vsq_tensor t = {VSQ_DTYPE_F32, 2, {(size_t)ids.n, (size_t)m.cfg.hidden}, NULL};
    t.data = malloc((size_t)ids.n * m.cfg.hidden * sizeof(float) + 1);
    st = t.data ? bert_quantize(&m, &q) : vsq_error(VSQ_ENOMEM, "out of memory");
    if (!st) st = bert_embed(&m, &ids, 2048, t.data, progress);
    if (!st) st = vsq_npy_save(e.out, &t);
    if (st) rc = cli_status(st);
    else fprintf(stderr, "wrote %s: %d x %d\n", e.out, ids.n, m.cfg.hidden);
    free(t.data);
    bert_ids_free(&ids);
    bert_free(&m);
    return rc;
}

const cli_command cmd_embed = {
    "embed", run, "sentence embeddings of a BERT encoder (fp32 or VS-Quant PTQ) to .npy",
    "usage: vsq embed [--model DIR] (--text FILE | --ids FILE) --out E.npy\n"
    "                 [--w SPEC] [--a SPEC] [--cfg W/A/ws/as] [--attn-a SPEC]\n"
    "                 [--kernel fake|packed]\n"
    "One sentence a line of --text, tokenized with DIR/vocab.txt (BERT uncased\n"
    "WordPiece, [CLS] ... [SEP], at most 128 tokens); or --ids FILE: one line of\n"
    "token ids per sentence (with --text, the line counts must agree). Writes float32\n"
    "[n, hidden] (mean pooling over the tokens, then L2 normalisation) atomically.\n"
    "--w/--a/--cfg/--attn-a/--kernel: as vsq eval-probe (dynamic activations only:\n"
    "static pt activations need the calibration data of eval-probe).\n"
    "Default model: all-MiniLM-L6-v2 in the shared folder.\n"};
