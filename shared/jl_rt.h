/* jl_rt.h - real-time annotations and the RT guard bracket.
 *
 * JL_RT_ENTER()/JL_RT_EXIT() bracket every entry into engine code on the
 * JACK thread (the glue places them around jl_engine_process_rt()).
 *  - with -DJL_RTSAN they call the RTSan runtime (libclang-rt-19-dev);
 *  - with -DJL_RTGUARD they call weak rtguard_enter/exit, which the
 *    LD_PRELOAD interposer build/librtguard.so defines: inside the bracket
 *    it aborts on malloc/free/locks/stdio/sleeps;
 *  - otherwise (release) they compile to nothing.
 * The bracket nests: the guard keeps a per-thread depth.
 */
#ifndef JL_RT_H
#define JL_RT_H

#if defined(JL_RTSAN)
void __rtsan_realtime_enter(void);
void __rtsan_realtime_exit(void);
#define JL_RT_ENTER() __rtsan_realtime_enter()
#define JL_RT_EXIT() __rtsan_realtime_exit()
#elif defined(JL_RTGUARD)
/* Weak: resolved to the interposer when it is preloaded, NULL otherwise. */
void rtguard_enter(void) __attribute__((weak));
void rtguard_exit(void) __attribute__((weak));
#define JL_RT_ENTER() do { if (rtguard_enter) rtguard_enter(); } while (0)
#define JL_RT_EXIT() do { if (rtguard_exit) rtguard_exit(); } while (0)
#else
#define JL_RT_ENTER() do { } while (0)
#define JL_RT_EXIT() do { } while (0)
#endif

/* Marks a function that runs on the JACK thread (documentation only; the
 * Makefile gate checks the *_rt.o objects mechanically). */
#define JL_RT

#endif
