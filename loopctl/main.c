/* loopctl - CLI and control daemon of the jackloop live looper. */
#include "cli.h"

int main(int argc, char **argv)
{
	return jl_cli_main(argc, argv);
}
