/**
 * Files back (`outputs` globs): after the run, the regular files of the work
 * dir that match come back in the result, no symlink followed, at most 16 and
 * limits.outputFilesBytes in all, with truncation flagged. Both tiers.
 */
import { describe, expect, it } from 'vitest';
import { tierSandbox, TIERS } from '../support/sandbox.ts';

const decoded = (b64: string) => Buffer.from(b64, 'base64');

// Leaves a PNG-like binary, a CSV, a text file, a file one directory down, a symlink to a
// file outside the work dir, a symlinked directory and a FIFO, all with names the globs match.
const LEAVES_FILES = `import os
open("plot.png", "wb").write(bytes(range(256)) * 4)
open("result.csv", "w").write("a,b\\n1,2\\n")
open("notes.txt", "w").write("not asked for")
os.makedirs("sub", exist_ok=True)
open("sub/deep.png", "wb").write(b"deep")
os.symlink("/etc/passwd", "passwd.png")
os.symlink("/etc", "etc")
os.mkfifo("pipe.png")
print("done")
`;

describe.each(TIERS)('files back in the $tier tier', (t) => {
  const { run } = tierSandbox(t, 'outputs');

  it('returns the regular files that match, and no symlink, FIFO or file in a subdirectory for a one-level glob', async () => {
    const result = await run({ language: 'python', source: LEAVES_FILES, outputs: ['*.png', 'result.csv', 'etc/*'] });
    expect(result).toMatchObject({ verdict: 'ok', stdout: 'done\n', outputsTruncated: false });
    expect(result.outputs?.map((f) => [f.path, f.size])).toEqual([['plot.png', 1024], ['result.csv', 8]]);
    expect(decoded(result.outputs![0]!.contentBase64)).toEqual(Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256)));
    expect(decoded(result.outputs![1]!.contentBase64).toString()).toBe('a,b\n1,2\n');
  });

  it('matches any depth with **', async () => {
    const result = await run({ language: 'python', source: LEAVES_FILES, outputs: ['**/*.png'] });
    expect(result.outputs?.map((f) => f.path)).toEqual(['plot.png', 'sub/deep.png']);
  });

  it('leaves out hidden files unless the glob names them, as a shell would', async () => {
    const source = 'import os\nos.makedirs(".cache", exist_ok=True)\nfor p in (".hidden", "shown", ".cache/x"):\n    open(p, "w").write(p)';
    const star = await run({ language: 'python', source, outputs: ['*', '**/x'] });
    expect(star.outputs?.map((f) => f.path)).toEqual(['main.py', 'shown']); // the program's own source is a file of the work dir too
    const named = await run({ language: 'python', source, outputs: ['.hidden', '.cache/*'] });
    expect(named.outputs?.map((f) => f.path)).toEqual(['.cache/x', '.hidden']);
  });

  it('returns at most 16 files and flags the rest', async () => {
    const source = 'for i in range(20):\n    open("f%02d.txt" % i, "w").write(str(i))';
    const result = await run({ language: 'python', source, outputs: ['*.txt'] });
    expect(result.outputs).toHaveLength(16);
    expect(result.outputs![15]!.path).toBe('f15.txt');
    expect(result.outputsTruncated).toBe(true);
  });

  it('keeps to limits.outputFilesBytes and flags what did not fit', async () => {
    const source = 'open("a.bin", "wb").write(b"a" * 1500)\nopen("b.bin", "wb").write(b"b" * 1500)\nopen("c.bin", "wb").write(b"c" * 400)';
    const result = await run({ language: 'python', source, outputs: ['*.bin'] }, { outputFilesBytes: 2048 });
    expect(result.outputs?.map((f) => f.path)).toEqual(['a.bin', 'c.bin']);
    expect(result.outputsTruncated).toBe(true);
  });

  it('returns the files of a run that failed, and none when nothing matches', async () => {
    const failed = await run({ language: 'python', source: 'open("partial.csv", "w").write("x")\nraise SystemExit(2)', outputs: ['*.csv'] });
    expect(failed).toMatchObject({ verdict: 'runtime_error', exitCode: 2, outputs: [{ path: 'partial.csv', size: 1 }], outputsTruncated: false });
    const none = await run({ language: 'python', source: 'print(1)', outputs: ['*.png'] });
    expect(none).toMatchObject({ verdict: 'ok', outputs: [], outputsTruncated: false });
  });

  it('returns no outputs field when the job asked for none', async () => {
    const result = await run({ language: 'python', source: 'open("a.png", "w").write("x")' });
    expect(result.verdict).toBe('ok');
    expect(result).not.toHaveProperty('outputs');
  });
});
