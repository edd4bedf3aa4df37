/**
 * Judge0's additional_files: real archives from Info-ZIP and Python unpack
 * into our files; hostile ones (symbolic links as in CVE-2024-28185/28189,
 * escaping paths, bombs, lies, binaries) are refused with the reason, as 422s.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { unpackAdditionalFiles, ZipRefused } from '../../functions/compat/judge0/additional-files.ts';
import { parseSubmission } from '../../functions/compat/judge0/request.ts';
import { zipBase64 } from '../support/zip.ts';

const fixture = (name: string) => readFileSync(resolve(import.meta.dirname, '../fixtures/zips', name)).toString('base64');
const refusal = (base64: string, reserved = '') => {
  try {
    unpackAdditionalFiles(base64, undefined, reserved);
  } catch (error) {
    if (error instanceof ZipRefused) return error.message;
    throw error;
  }
  throw new Error('expected the archive to be refused');
};
const HELPER = 'def twice(x):\n    return 2 * x\n';

describe('unpacking additional_files', () => {
  it.each(['info-zip-stored.zip', 'python-deflated.zip'])('unpacks %s into files, leaving directories out', (name) => {
    expect(unpackAdditionalFiles(fixture(name))).toEqual([
      { path: 'lib/helper.py', content: HELPER },
      { path: 'data.txt', content: '1 2 3\n' },
    ]);
  });

  it('refuses a symbolic link made by zip -y, naming the entry', () => {
    expect(refusal(fixture('info-zip-symlink.zip'))).toBe('entry "link" is a symbolic link');
  });

  it.each([
    ['/etc/passwd', 'entry "/etc/passwd" has an absolute path'],
    ['C:/x.txt', 'entry "C:/x.txt" has an absolute path'],
    ['../up.txt', 'entry "../up.txt" has a ".." part'],
    ['a/../../up.txt', 'entry "a/../../up.txt" has a ".." part'],
    ['a\\..\\up.txt', 'entry "a\\\\..\\\\up.txt" has a backslash in its path'],
    ['-o', 'entry "-o" is not a plain relative path (letters, digits, ".", "_", "-" and "/", at most 128 characters, not starting with "-")'],
    ['a b.txt', 'entry "a b.txt" is not a plain relative path (letters, digits, ".", "_", "-" and "/", at most 128 characters, not starting with "-")'],
  ])('refuses the path %s', (name, reason) => {
    expect(refusal(zipBase64([{ name, content: 'x' }]))).toBe(reason);
  });

  it('refuses devices, FIFOs and encrypted entries', () => {
    expect(refusal(zipBase64([{ name: 'fifo', mode: 0o010644 }]))).toBe('entry "fifo" is not a regular file');
    expect(refusal(zipBase64([{ name: 'dev', mode: 0o020644 }]))).toBe('entry "dev" is not a regular file');
    expect(refusal(zipBase64([{ name: 'secret.txt', content: 'x', flags: 0x1 }]))).toBe('entry "secret.txt" is encrypted');
  });

  it('refuses duplicates and an entry that would replace the source file', () => {
    expect(refusal(zipBase64([{ name: 'a.txt', content: '1' }, { name: 'a.txt', content: '2' }]))).toBe('entry "a.txt" appears twice');
    expect(refusal(zipBase64([{ name: 'main.py', content: 'print(2)' }]), 'main.py')).toBe('entry "main.py" would replace the submission\'s source file');
  });

  it('stops a bomb at its declared size, and refuses archives that claim more than a job may carry', () => {
    const bomb = Buffer.alloc(50 * 1024 * 1024);
    expect(refusal(zipBase64([{ name: 'bomb.txt', content: bomb, deflate: true, declaredSize: 1000 }]))).toBe('entry "bomb.txt" does not inflate to its declared size');
    expect(refusal(zipBase64([{ name: 'big.txt', content: bomb, deflate: true }]))).toBe('unpacks to 52428800 bytes; at most 1048576');
    expect(refusal(zipBase64(Array.from({ length: 33 }, (_, i) => ({ name: `f${i}.txt`, content: 'x' }))))).toBe('holds 33 files; at most 32');
  });

  it('refuses an entry whose CRC-32 does not match, binary content, and what is not a zip', () => {
    expect(refusal(zipBase64([{ name: 'a.txt', content: 'abc', crc: 1 }]))).toBe('entry "a.txt" does not match its declared size and CRC-32');
    expect(refusal(zipBase64([{ name: 'a.bin', content: Buffer.from([0xff, 0xfe, 0x00]) }]))).toBe('entry "a.bin" is not UTF-8 text (binary files are not supported)');
    expect(refusal(Buffer.from('just some text, long enough to look for a zip end record').toString('base64'))).toBe('is not a zip archive (no end of central directory)');
    expect(refusal('not base64!')).toBe('is not Base64');
  });
});

describe('additional_files in a Judge0 submission', () => {
  const tenant = { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS };

  it('puts the files beside the source', () => {
    const parsed = parseSubmission({ source_code: 'from lib.helper import twice\nprint(twice(21))', language_id: 71, additional_files: fixture('python-deflated.zip') }, false, tenant);
    expect(parsed).toMatchObject({ ok: true, run: { files: [{ path: 'lib/helper.py', content: HELPER }, { path: 'data.txt', content: '1 2 3\n' }] } });
  });

  it('answers a refused archive with a 422 hash naming additional_files and the reason', () => {
    expect(parseSubmission({ source_code: 'x', language_id: 71, additional_files: fixture('info-zip-symlink.zip') }, false, tenant)).toEqual({ ok: false, errors: { additional_files: ['entry "link" is a symbolic link'] } });
  });
});
