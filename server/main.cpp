// The `netadmit` executable. Everything lives in the netadmit_server library (cli.h).

#include "server/cli.h"

int main(int argc, char** argv) { return netadmit::server::RunCli(argc, argv); }
