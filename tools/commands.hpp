// SPDX-License-Identifier: GPL-2.0-or-later
// Subcommands of the `aifactory` tool. Each returns the process exit code:
// 0 done, 1 operational failure, 2 bad input (message on stderr names the argument).
#pragma once

namespace aif::cli {

int cmd_fit(int argc, char** argv);
int cmd_models(int argc, char** argv);
int cmd_systems(int argc, char** argv);
int cmd_validate(int argc, char** argv);
int cmd_detect(int argc, char** argv);
int cmd_bind(int argc, char** argv);
int cmd_sender(int argc, char** argv);
int cmd_spool(int argc, char** argv);
int cmd_collector(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_calibrate(int argc, char** argv);

}  // namespace aif::cli
