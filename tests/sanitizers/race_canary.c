/* A deliberate data race under OpenMP: ThreadSanitizer, with the settings
 * scripts/run-robustness.sh uses for attnbench (Archer, ignore_noninstrumented_modules),
 * must report it, so a race in attnbench's own code would be caught too. */
#include <stdio.h>

int main(void) {
    long shared = 0;
#pragma omp parallel for num_threads(2)
    for (int i = 0; i < 100000; i++)
        shared += i; /* unsynchronised read-modify-write from both threads */
    printf("%ld\n", shared);
    return 0;
}
