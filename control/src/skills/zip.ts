// Reads an uploaded zip of skill files, refusing what a hostile or broken archive could do: entries
// that are links, encrypted, or compressed in unknown ways, more entries or more bytes than the limits
// (checked from the directory before anything is inflated, and again while inflating), and data that
// does not match its checksum. Paths are checked by the caller (skills/paths.ts).
import { inflateSync } from 'fflate';

export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
}

export interface ZipEntry {
  path: string;
  bytes: Uint8Array;
}

/** What is wrong with the archive, for a 422 naming `zip_file`. */
export class ZipError extends Error {
  override name = 'ZipError';
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const UNIX = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

let crcTable: Uint32Array | null = null;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function findEndOfDirectory(view: DataView): number {
  // The record is 22 bytes, followed by a comment of at most 65,535.
  for (let at = view.byteLength - 22; at >= Math.max(0, view.byteLength - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) return at;
  }
  throw new ZipError('is not a zip archive');
}

/** The archive's files (directories are left out), within `limits`. */
export function readZip(data: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 22) throw new ZipError('is not a zip archive');
  const end = findEndOfDirectory(view);
  const count = view.getUint16(end + 10, true);
  const directoryOffset = view.getUint32(end + 16, true);
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new ZipError('is a ZIP64 archive, which is not accepted; skills are far smaller');
  if (count > limits.maxEntries * 2) throw new ZipError(`has ${count} entries; at most ${limits.maxEntries} files are accepted`);

  const names = new TextDecoder('utf-8', { fatal: true });
  const planned: { path: string; method: number; flags: number; crc: number; size: number; compressed: number; local: number }[] = [];
  let total = 0;
  for (let i = 0, at = directoryOffset; i < count; i++) {
    if (at + 46 > data.byteLength || view.getUint32(at, true) !== CENTRAL) throw new ZipError('has a damaged directory');
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const attributes = view.getUint32(at + 38, true);
    const local = view.getUint32(at + 42, true);
    let path: string;
    try {
      path = names.decode(data.subarray(at + 46, at + 46 + nameLength));
    } catch {
      throw new ZipError('has an entry whose name is not UTF-8');
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (path.endsWith('/')) continue;
    if (madeBy === UNIX && ((attributes >>> 16) & S_IFMT) === S_IFLNK) throw new ZipError(`has a symbolic link, '${path}'; only regular files are accepted`);
    if (flags & 1) throw new ZipError(`has an encrypted entry, '${path}'`);
    if (method !== 0 && method !== 8) throw new ZipError(`has an entry compressed with method ${method}, '${path}'; only stored and deflated entries are accepted`);
    if (compressed === 0xffffffff || size === 0xffffffff) throw new ZipError('is a ZIP64 archive, which is not accepted; skills are far smaller');
    total += size;
    planned.push({ path, method, flags, crc, size, compressed, local });
  }
  if (planned.length > limits.maxEntries) throw new ZipError(`has ${planned.length} files; at most ${limits.maxEntries} are accepted`);
  if (total > limits.maxTotalBytes) throw new ZipError(`would unpack to ${total} bytes; at most ${limits.maxTotalBytes} are accepted`);

  return planned.map((entry) => {
    const at = entry.local;
    if (at + 30 > data.byteLength || view.getUint32(at, true) !== LOCAL) throw new ZipError(`has a damaged entry, '${entry.path}'`);
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const raw = data.subarray(start, start + entry.compressed);
    if (raw.byteLength !== entry.compressed) throw new ZipError(`has a truncated entry, '${entry.path}'`);
    let bytes: Uint8Array;
    if (entry.method === 0) bytes = raw;
    else {
      try {
        // One byte more than declared: an entry that would unpack to more than it says is caught, not followed.
        bytes = inflateSync(raw, { out: new Uint8Array(entry.size + 1) });
      } catch {
        throw new ZipError(`has an entry that does not inflate, '${entry.path}'`);
      }
    }
    if (bytes.byteLength !== entry.size || crc32(bytes) !== entry.crc) throw new ZipError(`has an entry whose data does not match its size or checksum, '${entry.path}'`);
    return { path: entry.path, bytes };
  });
}
