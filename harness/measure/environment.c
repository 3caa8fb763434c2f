/* Environment capture and the OpenBLAS core fallback. */
#define _GNU_SOURCE
#include "environment.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attn_git_commit.h"
#include "plugin.h"
#include "bf16_ops.h"
#include "simd_ops.h"

#ifndef ATTN_COMPILER_FLAGS
#define ATTN_COMPILER_FLAGS "?"
#endif

/* Cores the DYNAMIC_ARCH build falls back to when it does not know the CPU model. */
static const char *const generic_cores[] = {"Prescott", "Core2",      "Katmai", "Nehalem",
                                            "Penryn",   "Dunnington", "Atom"};

/* The OPENBLAS_CORETYPE worth asking for on this CPU, or NULL: only x86-64 has the
 * generic fallback cores above (elsewhere OpenBLAS's own choice stands). */
static const char *better_core_for_this_cpu(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? "SkylakeX"
           : __builtin_cpu_supports("avx2")  ? "Haswell"
                                             : NULL;
#else
    return NULL;
#endif
}

bool attn_blas_core_is_fallback(const char **better_core) {
    const char *core = openblas_get_corename();
    bool generic = false;
    for (size_t n = 0; n < sizeof generic_cores / sizeof generic_cores[0]; n++)
        generic |= core && strcasecmp(core, generic_cores[n]) == 0;
    const char *better = better_core_for_this_cpu();
    if (better_core)
        *better_core = better;
    return generic && better != NULL;
}

void attn_blas_core_fix_or_return(char **argv) {
    const char *better = NULL;
    if (getenv("ATTNBENCH_KEEP_BLAS_CORE") || getenv("OPENBLAS_CORETYPE") ||
        !attn_blas_core_is_fallback(&better))
        return;
    fprintf(stderr,
            "attnbench: OpenBLAS chose its generic '%s' core on a CPU with %s; restarting "
            "with OPENBLAS_CORETYPE=%s (set OPENBLAS_CORETYPE to choose, or "
            "ATTNBENCH_KEEP_BLAS_CORE=1 to keep)\n",
            openblas_get_corename(), strcmp(better, "SkylakeX") == 0 ? "AVX-512" : "AVX2", better);
    setenv("OPENBLAS_CORETYPE", better, 1);
    setenv("ATTNBENCH_BLAS_CORE_FIXED", openblas_get_corename(), 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    perror("attnbench: could not restart (going on with the generic core)");
}

static void read_cpu_model(char *out, size_t size) {
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *colon = strchr(line, ':');
        if (colon) {
            colon++;
            while (*colon == ' ' || *colon == '\t')
                colon++;
            snprintf(out, size, "%s", colon);
            out[strcspn(out, "\n")] = '\0';
        }
        break;
    }
    fclose(f);
}

void attn_environment_read(attn_environment *env) {
    memset(env, 0, sizeof *env);
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(env->timestamp_utc, sizeof env->timestamp_utc, "%Y-%m-%dT%H:%M:%SZ", &utc);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    snprintf(env->run_id, sizeof env->run_id, "%s-%ld", stamp, (long)getpid());
    snprintf(env->git_commit, sizeof env->git_commit, "%s", ATTN_GIT_COMMIT);
    if (gethostname(env->host, sizeof env->host) != 0)
        snprintf(env->host, sizeof env->host, "unknown");
    read_cpu_model(env->cpu, sizeof env->cpu);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    env->cores = cores > 0 ? (int)cores : 1;
#if defined(__clang__)
    snprintf(env->compiler, sizeof env->compiler, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(env->compiler, sizeof env->compiler, "gcc %s", __VERSION__);
#else
    snprintf(env->compiler, sizeof env->compiler, "unknown");
#endif
    const char *flags = ATTN_COMPILER_FLAGS;
    while (*flags == ' ')
        flags++;
    snprintf(env->compiler_flags, sizeof env->compiler_flags, "%s", flags);
    const char *config = openblas_get_config();
    snprintf(env->blas, sizeof env->blas, "OpenBLAS %s", config ? config : "?");
    const char *core = openblas_get_corename();
    snprintf(env->blas_core, sizeof env->blas_core, "%s", core ? core : "?");
    static const char *const modes[] = {"sequential", "pthreads", "openmp"};
    int parallel = openblas_get_parallel();
    snprintf(env->blas_threading, sizeof env->blas_threading, "%s",
             parallel >= 0 && parallel <= 2 ? modes[parallel] : "?");
    /* What OpenBLAS picked (blas_core) and what the environment asked for (blas_coretype)
     * are recorded apart: OpenBLAS ignores a name it does not know, or a core the CPU
     * cannot run, and picks its own. */
    const char *requested = getenv("OPENBLAS_CORETYPE");
    snprintf(env->blas_coretype, sizeof env->blas_coretype, "%s", requested ? requested : "");
    const bool named = requested && requested[0];
    const bool honoured = named && core && strcasecmp(requested, core) == 0;
    const char *fixed = getenv("ATTNBENCH_BLAS_CORE_FIXED");
    const char *better = NULL;
    if (named && !honoured)
        snprintf(env->blas_note, sizeof env->blas_note,
                 "WARNING: OPENBLAS_CORETYPE=%s %s, but OpenBLAS runs its %s core", requested,
                 fixed ? "was set by attnbench" : "from the environment", core ? core : "?");
    else if (fixed)
        snprintf(env->blas_note, sizeof env->blas_note,
                 "generic core %s replaced by OPENBLAS_CORETYPE=%s", fixed, requested);
    else if (attn_blas_core_is_fallback(&better))
        snprintf(env->blas_note, sizeof env->blas_note,
                 "WARNING: generic fallback core; OPENBLAS_CORETYPE=%s would be faster", better);
    else if (named)
        snprintf(env->blas_note, sizeof env->blas_note,
                 "core chosen by OPENBLAS_CORETYPE=%s from the environment", requested);
    snprintf(env->kernel_isa, sizeof env->kernel_isa, "%s", attn_kernel_table());
    snprintf(env->openmp, sizeof env->openmp, "%d", _OPENMP);
}

const char *attn_kernel_table(void) {
    return attn_simd_ops_name();
}

const char *attn_kernel_isa(const attn_environment *env, const attn_impl *impl) {
    /* omp_bf16 runs its AVX512-BF16 kernel where the CPU has it, else omp's on widened
     * inputs. */
    if (attn_impl_origin(impl) == NULL && strcmp(impl->name, "omp_bf16") == 0)
        return attn_bf16_ops_select() && strcmp(env->kernel_isa, "avx512") == 0 ? "avx512_bf16"
                                                                                : env->kernel_isa;
    /* The built-ins whose inner loops are impls/simd_ops.h's table: the tile kernel
     * (blocked, omp, local) and blas's row softmax. */
    static const char *const table_users[] = {"blocked", "omp", "local", "blas", "decode"};
    if (attn_impl_origin(impl) == NULL)
        for (size_t n = 0; n < sizeof table_users / sizeof table_users[0]; n++)
            if (strcmp(impl->name, table_users[n]) == 0)
                return env->kernel_isa;
    return "n/a";
}
