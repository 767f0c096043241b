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

/* The handlers defined outside commands.c: loopcmds.c (the looper, trim,
 * send), outputs.c (click, phones, monitor, PA mute), fxcmds.c and
 * calibrate.c, session.c, notify.c. */
#define JL_CMD_HANDLER(n) int jl_cmd_##n(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
JL_CMD_HANDLER(record); JL_CMD_HANDLER(capture); JL_CMD_HANDLER(play); JL_CMD_HANDLER(stop);
JL_CMD_HANDLER(mute); JL_CMD_HANDLER(unmute); JL_CMD_HANDLER(toggle); JL_CMD_HANDLER(undo);
JL_CMD_HANDLER(redo); JL_CMD_HANDLER(clear); JL_CMD_HANDLER(gain); JL_CMD_HANDLER(pan);
JL_CMD_HANDLER(solo); JL_CMD_HANDLER(layer); JL_CMD_HANDLER(select); JL_CMD_HANDLER(panic);
JL_CMD_HANDLER(tap); JL_CMD_HANDLER(tempo); JL_CMD_HANDLER(at); JL_CMD_HANDLER(triggers);
JL_CMD_HANDLER(cancel); JL_CMD_HANDLER(onsets); JL_CMD_HANDLER(quantize); JL_CMD_HANDLER(meter); JL_CMD_HANDLER(downbeat); JL_CMD_HANDLER(trim);
JL_CMD_HANDLER(click); JL_CMD_HANDLER(midiclock); JL_CMD_HANDLER(sync); JL_CMD_HANDLER(phones); JL_CMD_HANDLER(monitor); JL_CMD_HANDLER(pa_mute);
JL_CMD_HANDLER(calibrate); JL_CMD_HANDLER(fx); JL_CMD_HANDLER(send);
JL_CMD_HANDLER(save); JL_CMD_HANDLER(load); JL_CMD_HANDLER(import);
JL_CMD_HANDLER(subscribe); JL_CMD_HANDLER(unsubscribe);

/* Looks a command up by name; NULL if unknown. */
const struct jl_command *jl_command_find(const char *name);

#endif
