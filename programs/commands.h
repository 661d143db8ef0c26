/* programs/commands.h - every subcommand of vsq. One file per command
 * (programs/cmd_*.c); add the declaration here and a row in vsq.c. */
#ifndef VSQ_COMMANDS_H
#define VSQ_COMMANDS_H

#include "cli.h"

extern const cli_command cmd_gen, cmd_fakequant, cmd_quantize, cmd_dequantize, cmd_stats, cmd_calib;
extern const cli_command cmd_bench;
extern const cli_command cmd_generate;
extern const cli_command cmd_eval_lm;
extern const cli_command cmd_eval_cnn;
extern const cli_command cmd_sensitivity;
extern const cli_command cmd_hw;
extern const cli_command cmd_dse;
extern const cli_command cmd_inspect;
extern const cli_command cmd_tokenize;
extern const cli_command cmd_embed, cmd_eval_probe;
extern const cli_command cmd_train, cmd_qat;

#endif
