//go:build race

package bench_test

// raceEnabled: under the race detector SQLite (transpiled C, every memory
// access instrumented) runs some fifty times slower, and a tiny day no
// longer keeps up; the mixed test then checks what a slow server cannot
// change.
const raceEnabled = true
