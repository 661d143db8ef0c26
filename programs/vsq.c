/* vsq - command-line front end of libvsq. Dispatches to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vsq/kernels.h"
#include "vsq_commit.h" /* generated: VSQ_GIT_COMMIT */

static const cli_command *const commands[] = {
    &cmd_gen, &cmd_fakequant, &cmd_quantize, &cmd_dequantize, &cmd_stats, &cmd_calib,
    &cmd_bench,
    &cmd_generate, &cmd_eval_lm,
    &cmd_eval_cnn, &cmd_sensitivity,
    &cmd_hw,
    &cmd_dse,
    &cmd_inspect,
    &cmd_tokenize,
    &cmd_embed, &cmd_eval_probe,
    &cmd_train, &cmd_qat,
    /* more commands: add them here (and in commands.h) */
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

static void print_help(void) {
    printf("vsq %s - per-vector scaled quantization (VS-Quant)\n\n"
           "usage: vsq COMMAND [options]   (vsq COMMAND --help for details)\n\ncommands:\n",
           VSQ_VERSION_STRING);
    for (size_t i = 0; i < n_commands; i++)
        printf("  %-12s %s\n", commands[i]->name, commands[i]->summary);
    printf("\nvsq --version prints the version, the commit built from, and the kernel ISA in\n"
           "use with the available ones (VSQ_ISA=ref|avx2|avxvnni|avx512 forces one).\n");
    printf("\nFormat specs (ELEM:GRAN[:SCALE][:CALIB]) are described in docs/formats.md,\n"
           "e.g. int4:v16:s6, uint8:pt:fp32:entropy, int8:pc, int4:v32:e8m0.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        print_help();
        return argc < 2 ? CLI_BADINPUT : CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        char isas[128];
        vsq_isa_list_available(isas, sizeof isas, " ");
        printf("vsq %s%s%s\nisa: %s (available: %s; VSQ_ISA to force)\n", VSQ_VERSION_STRING,
               VSQ_GIT_COMMIT[0] ? " commit " : "", VSQ_GIT_COMMIT, vsq_isa_name(vsq_isa_active()),
               isas);
        return CLI_OK;
    }
    for (size_t i = 0; i < n_commands; i++) {
        if (strcmp(argv[1], commands[i]->name) != 0) continue;
        cli_set_command(commands[i]->name);
        for (int j = 2; j < argc; j++) {
            if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
                fputs(commands[i]->usage, stdout);
                return CLI_OK;
            }
        }
        return commands[i]->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "vsq: unknown command '%s' (try vsq --help)\n", argv[1]);
    return CLI_BADINPUT;
}
