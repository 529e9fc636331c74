// The `netadmit` executable. Everything lives in the netadmit_cli library (cli.h).

#include "cli/cli.h"

int main(int argc, char** argv) { return netadmit::cli::RunCli(argc, argv); }
