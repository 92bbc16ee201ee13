// Bounded-work checks for hostile input: they measure the CPU time the work took, not the wall clock,
// which a busy machine stretches (the test files run side by side with the type-checks and lint).

/** What `fn` returned, and the CPU time (user and system, in ms) this process spent running it. */
export function cpuTimed<T>(fn: () => T): { value: T; ms: number } {
  const before = process.cpuUsage();
  const value = fn();
  const { user, system } = process.cpuUsage(before);
  return { value, ms: (user + system) / 1000 };
}
