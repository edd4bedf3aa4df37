/**
 * Judge0's `additional_files`: a Base64 zip, unpacked here, in the control
 * plane, into our job's `files` (text in the job's input), never by an
 * `unzip` inside the sandbox. Judge0's CVE-2024-28185 and CVE-2024-28189 came
 * from symbolic links in this archive; so, per entry, the zip's central
 * directory is read and anything but a plain file or directory is refused:
 * symbolic links (Unix mode), devices, encrypted or multi-disk or ZIP64
 * archives, compression other than stored/deflate, absolute paths, `..`,
 * backslashes, names our file-path rule refuses, duplicates, more files or
 * bytes than a job may carry, and content that is not UTF-8 text. Inflating is
 * bounded by the declared size (node:zlib's maxOutputLength) and checked
 * against the declared size and CRC-32, so a zip bomb stops at its claim.
 *
 * Read by hand from the format's specification (PKWARE APPNOTE 4.3) with
 * node:zlib, because the zip readers in node_modules (fflate, yauzl, jszip)
 * are not dependencies of ours, and fflate's does not show the Unix mode that
 * tells a symbolic link apart.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { MAX_FILES, MAX_TOTAL_FILES_BYTES } from '../../../core/limits.ts';

export interface UnpackedFile {
  path: string;
  content: string;
}

/** The Base64 text of the zip, at most (Judge0's own default `max_extract_size` is 10 MiB; ours is the job's file budget). */
export const MAX_ADDITIONAL_FILES_BASE64 = Math.ceil((MAX_TOTAL_FILES_BYTES * 4) / 3) + 4096;

export class ZipRefused extends Error {
  override name = 'ZipRefused';
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const UNIX = 3;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Our job's rule for file paths (core/contract.ts), stated again for a precise reason per entry. */
const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+$/;

function endOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of up to 65,535.
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw new ZipRefused('is not a zip archive (no end of central directory)');
}

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function centralEntries(zip: Buffer): Entry[] {
  const end = endOfCentralDirectory(zip);
  const disk = zip.readUInt16LE(end + 4);
  const count = zip.readUInt16LE(end + 10);
  const cdSize = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  if (disk !== 0 || zip.readUInt16LE(end + 8) !== count) throw new ZipRefused('is a multi-disk zip archive');
  if (count === 0xffff || cdSize === 0xffffffff || at === 0xffffffff) throw new ZipRefused('is a ZIP64 archive, which is not supported');
  if (at + cdSize > end) throw new ZipRefused('has a central directory outside the archive');
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL) throw new ZipRefused('has a damaged central directory');
    const madeBy = zip.readUInt16LE(at + 4) >> 8;
    const flags = zip.readUInt16LE(at + 8);
    const nameLength = zip.readUInt16LE(at + 28);
    const external = zip.readUInt32LE(at + 38);
    const rawName = zip.subarray(at + 46, at + 46 + nameLength);
    const name = flags & 0x800 ? rawName.toString('utf8') : rawName.toString('latin1');
    const mode = madeBy === UNIX ? external >>> 16 : 0;
    const type = mode & S_IFMT;
    const directory = name.endsWith('/') || type === S_IFDIR || (madeBy !== UNIX && (external & 0x10) !== 0);
    if (type === S_IFLNK) throw new ZipRefused(`entry ${JSON.stringify(name)} is a symbolic link`);
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw new ZipRefused(`entry ${JSON.stringify(name)} is not a regular file`);
    if (flags & 0x1) throw new ZipRefused(`entry ${JSON.stringify(name)} is encrypted`);
    if (!directory) {
      entries.push({
        name,
        method: zip.readUInt16LE(at + 10),
        crc: zip.readUInt32LE(at + 16),
        compressedSize: zip.readUInt32LE(at + 20),
        size: zip.readUInt32LE(at + 24),
        localOffset: zip.readUInt32LE(at + 42),
      });
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

function checkName(name: string, seen: Set<string>, reserved: string): void {
  const quoted = JSON.stringify(name);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new ZipRefused(`entry ${quoted} has an absolute path`);
  if (name.includes('\\')) throw new ZipRefused(`entry ${quoted} has a backslash in its path`);
  if (name.split('/').includes('..')) throw new ZipRefused(`entry ${quoted} has a ".." part`);
  if (!SAFE_PATH.test(name) || name.startsWith('-') || name.length > 128) {
    throw new ZipRefused(`entry ${quoted} is not a plain relative path (letters, digits, ".", "_", "-" and "/", at most 128 characters, not starting with "-")`);
  }
  if (name === reserved) throw new ZipRefused(`entry ${quoted} would replace the submission's source file`);
  if (seen.has(name)) throw new ZipRefused(`entry ${quoted} appears twice`);
  seen.add(name);
}

function contentOf(zip: Buffer, entry: Entry): Buffer {
  const at = entry.localOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL) throw new ZipRefused(`entry ${JSON.stringify(entry.name)} has no local header`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw new ZipRefused(`entry ${JSON.stringify(entry.name)} is cut short`);
  let content: Buffer;
  if (entry.method === 0) content = data;
  else if (entry.method === 8) {
    try {
      // Never more than the entry claims: a bomb stops here.
      content = inflateRawSync(data, { maxOutputLength: Math.max(entry.size, 1) });
    } catch {
      throw new ZipRefused(`entry ${JSON.stringify(entry.name)} does not inflate to its declared size`);
    }
  } else throw new ZipRefused(`entry ${JSON.stringify(entry.name)} uses compression method ${entry.method} (only stored and deflate are supported)`);
  if (content.length !== entry.size || crc32(content) !== entry.crc) throw new ZipRefused(`entry ${JSON.stringify(entry.name)} does not match its declared size and CRC-32`);
  return content;
}

/**
 * The archive's files, or ZipRefused with the reason. `budget` is how many
 * bytes and files the job has left beside its source; `reserved` the source's
 * own file name, which an entry may not replace.
 */
export function unpackAdditionalFiles(base64: string, budget: { bytes: number; files: number } = { bytes: MAX_TOTAL_FILES_BYTES, files: MAX_FILES }, reserved = ''): UnpackedFile[] {
  if (base64.length > MAX_ADDITIONAL_FILES_BASE64) throw new ZipRefused(`is larger than ${MAX_ADDITIONAL_FILES_BASE64} characters of Base64`);
  if (!/^[A-Za-z0-9+/=\s]*$/.test(base64)) throw new ZipRefused('is not Base64');
  const zip = Buffer.from(base64, 'base64');
  if (zip.length < 22) throw new ZipRefused('is not a zip archive');
  const entries = centralEntries(zip);
  if (entries.length > budget.files) throw new ZipRefused(`holds ${entries.length} files; at most ${budget.files}`);
  const declared = entries.reduce((sum, e) => sum + e.size, 0);
  if (declared > budget.bytes) throw new ZipRefused(`unpacks to ${declared} bytes; at most ${budget.bytes}`);
  const seen = new Set<string>();
  return entries.map((entry) => {
    checkName(entry.name, seen, reserved);
    const content = contentOf(zip, entry);
    try {
      return { path: entry.name, content: utf8.decode(content) };
    } catch {
      throw new ZipRefused(`entry ${JSON.stringify(entry.name)} is not UTF-8 text (binary files are not supported)`);
    }
  });
}
