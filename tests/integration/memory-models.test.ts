/**
 * Managed runtimes sized from limits.memoryMb (core/memory-models.ts): a JVM
 * job at the default limit runs, and one that allocates past it ends
 * `memory_limit_exceeded`, whether the JVM's heap runs out first (its own
 * OutOfMemoryError) or the cgroup does; the same for Go's runtime. The Kotlin
 * compiler fits well below the default limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import type { ToolchainPools } from '../../worker/sandbox-host/toolchain-pools.ts';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { runner, testPool, testToolchainPools } from '../support/sandbox.ts';

// A JVM starts in under a second here; compiling and running get room for a machine several times slower.
const JVM_TEST_MS = 120_000;
const generous = { wallTimeMs: 20_000, cpuTimeMs: 20_000 };

const JAVA_SMALL = `import java.util.*;
public class Main {
    public static void main(String[] args) {
        List<Integer> xs = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) xs.add(i);
        System.out.println(xs.stream().mapToLong(Integer::longValue).sum() + " " + Runtime.getRuntime().maxMemory() / (1024 * 1024));
    }
}
`;
// Keeps every block reachable, so no collector can save it: it must end at the limit.
const JAVA_HOG = `import java.util.*;
public class Main {
    public static void main(String[] args) {
        List<long[]> kept = new ArrayList<>();
        while (true) kept.add(new long[1 << 17]);
    }
}
`;
const GO_HOG = `package main

import "fmt"

func main() {
\tvar kept [][]byte
\tfor i := 0; ; i++ {
\t\tb := make([]byte, 1<<20)
\t\tfor j := range b {
\t\t\tb[j] = byte(j)
\t\t}
\t\tkept = append(kept, b)
\t\tif i%1000 == 999 {
\t\t\tfmt.Println(len(kept))
\t\t}
\t}
}
`;

describe('memory models of managed runtimes', () => {
  let pool: WarmPool;
  let toolchains: ToolchainPools;
  let run: ReturnType<typeof runner>;
  beforeAll(async () => {
    pool = testPool(1, { workerId: `memory-models-${process.pid}` });
    await pool.start();
    toolchains = testToolchainPools(pool, 'standard');
    run = runner(pool, 'standard', 'acme', toolchains);
  });
  afterAll(async () => {
    await toolchains?.close();
    await pool?.close();
  });

  it('runs a small Java program at the default memory limit, its heap sized from the limit', async () => {
    const result = await run({ language: 'java', source: JAVA_SMALL }, generous);
    expect(result, result.stderr || result.compile?.stderr).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const [sum, maxHeapMb] = result.stdout.trim().split(' ').map(Number);
    expect(sum).toBe(4_999_950_000);
    // -Xmx is 60% of the job's limit: well inside the cgroup, well above the JVM's own default of 25%.
    expect(maxHeapMb).toBeGreaterThan(DEFAULT_LIMITS.memoryMb * 0.4);
    expect(maxHeapMb).toBeLessThan(DEFAULT_LIMITS.memoryMb * 0.7);
  }, JVM_TEST_MS);

  it('ends a Java program that allocates past the limit with memory_limit_exceeded', async () => {
    const result = await run({ language: 'java', source: JAVA_HOG }, generous);
    expect(result.verdict, result.stderr).toBe('memory_limit_exceeded');
  }, JVM_TEST_MS);

  it('ends a Java program past a smaller limit the same way, and the next Java job runs', async () => {
    const hog = await run({ language: 'java', source: JAVA_HOG }, { ...generous, memoryMb: 128 });
    expect(hog.verdict, hog.stderr).toBe('memory_limit_exceeded');
    const next = await run({ language: 'java', source: JAVA_SMALL }, generous);
    expect(next.verdict, next.stderr).toBe('ok');
  }, JVM_TEST_MS);

  // Through kotlinc's preloader the compiler's 97 MB jar sat in the heap first: 96 MB of heap
  // (60% of 160) failed with OutOfMemoryError, and at 256 MB a gVisor sandbox peaked past its cgroup.
  it('compiles and runs Kotlin well below the default limit: the compiler does not hold its own jar in the heap', async () => {
    const result = await run({ language: 'kotlin', source: 'fun main() { println((1..100_000).map { it.toLong() }.sum()) }\n' }, { ...generous, memoryMb: 160 });
    expect(result, `${result.compile?.stderr}${result.stderr}`.slice(-1000)).toMatchObject({ verdict: 'ok', stdout: '5000050000\n' });
  }, JVM_TEST_MS);

  it('ends a Go program that allocates past the limit with memory_limit_exceeded', async () => {
    const result = await run({ language: 'go', source: GO_HOG }, { ...generous, memoryMb: 128 });
    expect(result.verdict, result.stderr.slice(0, 500)).toBe('memory_limit_exceeded');
  }, JVM_TEST_MS);
});
