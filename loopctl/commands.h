/* commands.h - the one command table shared by OSC, the CLI and the MIDI
 * map: every command has the same name and arguments everywhere. */
#ifndef JL_COMMANDS_H
#define JL_COMMANDS_H

struct jl_daemon;
struct jl_req;

typedef int (*jl_cmd_fn)(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv);

struct jl_command {
	const char *name;
	int min_args, max_args;	/* words after the name; -1 = any */
	const char *synopsis;	/* arguments, for usage lines */
	const char *help;	/* one line */
	jl_cmd_fn fn;		/* NULL for commands the CLI handles itself */
};

extern const struct jl_command jl_commands[];

/* Looks a command up by name; NULL if unknown. */
const struct jl_command *jl_command_find(const char *name);

#endif
