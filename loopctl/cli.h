/* cli.h - the loopctl command line (non-RT). */
#ifndef JL_CLI_H
#define JL_CLI_H
int jl_cli_main(int argc, char **argv);
#endif
