/* analysis_cli.h - entry of `loopctl analyze` (analyze.c). */
#ifndef JL_ANALYSIS_CLI_H
#define JL_ANALYSIS_CLI_H
/* argv[0] is "analyze".  Returns the process exit status. */
int jl_analyze_main(int argc, char **argv);
#endif
