/**
 * Runtime settings that fit a managed runtime into the job's memory limit
 * (`limits.memoryMb`, the container's cgroup). Without them a JVM sizes its
 * heap from the host's memory or a quarter of the cgroup, Go's collector lets
 * the heap grow until the cgroup kills it, and GHC's heap is unbounded; with
 * them the runtime reports its own out-of-memory error first, which the judge
 * reads as `memory_limit_exceeded` (LanguageSpec.outOfMemory).
 */

/**
 * The JVM's heap gets 60% of the limit; the rest holds metaspace (capped at an
 * eighth), the code cache (32 MB), the shared class archive, thread stacks and
 * the collector. Measured on the jvm image at 256 MB: a small program peaks at
 * ~45 MB resident. Serial GC and one active processor: a job has one CPU, and
 * each extra GC or compiler thread would count against its process limit.
 * ExitOnOutOfMemoryError: a program that runs out of heap ends at once with a
 * message the judge recognises, instead of limping on in catch blocks.
 */
export function jvmOptions(memoryMb: number): string[] {
  const heap = Math.max(16, Math.floor(memoryMb * 0.6));
  const metaspace = Math.max(32, Math.floor(memoryMb / 8));
  return [
    `-Xmx${heap}m`,
    `-XX:MaxMetaspaceSize=${metaspace}m`,
    '-XX:ReservedCodeCacheSize=32m',
    '-XX:+UseSerialGC',
    '-XX:ActiveProcessorCount=1',
    '-XX:+ExitOnOutOfMemoryError',
  ];
}

/** The same for a JVM-hosted compiler (javac, kotlinc), which takes JVM options behind -J. */
export function jvmCompilerOptions(memoryMb: number): string[] {
  return [`-Xmx${Math.max(32, Math.floor(memoryMb * 0.6))}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:ActiveProcessorCount=1'];
}

/**
 * Go: one P (the job has one CPU; more would only add threads against the
 * process limit) and a soft memory limit at 90% of the cgroup, so the collector
 * works harder before the kernel kills the program.
 */
export function goEnv(memoryMb: number): string[] {
  return ['GOMAXPROCS=1', `GOMEMLIMIT=${Math.floor(memoryMb * 0.9)}MiB`];
}

/** GHC's runtime: a maximum heap at 80% of the limit (`Heap exhausted` past it). */
export function ghcRtsOptions(memoryMb: number): string {
  return `-M${Math.max(16, Math.floor(memoryMb * 0.8))}m`;
}

/** Mono's SGen collector: a maximum heap at 70% of the limit (OutOfMemoryException past it). */
export function monoEnv(memoryMb: number): string[] {
  return [`MONO_GC_PARAMS=max-heap-size=${Math.max(16, Math.floor(memoryMb * 0.7))}m`];
}
