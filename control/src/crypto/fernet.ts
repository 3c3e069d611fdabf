// Fernet tokens (https://github.com/fernet/spec) on WebCrypto, byte-compatible with Python's cryptography.fernet.

const VERSION = 0x80;
const HEADER_LEN = 1 + 8 + 16; // version, big-endian timestamp, IV
const MAC_LEN = 32;
const BLOCK = 16;
// Python's cryptography only checks the clock skew when a ttl is given; we follow it so
// tokens that Python accepts are accepted here too.
const MAX_CLOCK_SKEW_SEC = 60;
const SPEC_NAME = 'ORCH_MASTER_KEY';

export class FernetKeyError extends Error {
  override name = 'FernetKeyError';
}

export class FernetTokenError extends Error {
  override name = 'FernetTokenError';
  // Verification failures all share the default message so callers cannot become a MAC or padding oracle.
  constructor(message = 'invalid Fernet token') {
    super(message);
  }
}

declare const fernetKeyBrand: unique symbol;
export type FernetKey = {
  readonly signing: CryptoKey;
  readonly encryption: CryptoKey;
  readonly [fernetKeyBrand]: true;
};

export interface KeyRing {
  encrypt(text: string): Promise<string>;
  decrypt(token: string): Promise<string>;
  rotate(token: string): Promise<string>;
}

// Strict alphabet: atob alone would also accept '+', '/' and whitespace, which Fernet never emits.
const URLSAFE_B64 = /^[A-Za-z0-9_-]*={0,2}$/;

function b64urlDecode(text: string): Uint8Array<ArrayBuffer> | null {
  if (!URLSAFE_B64.test(text)) return null;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return null;
  if (body.length !== text.length && text.length % 4 !== 0) return null;
  const std = body.replaceAll('-', '+').replaceAll('_', '/');
  let binary: string;
  try {
    binary = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  } catch {
    return null;
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function b64urlEncode(bytes: Uint8Array): string {
  let binary = '';
  // Chunked because String.fromCharCode(...bytes) overflows the argument limit on large inputs.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export async function importFernetKey(key: string): Promise<FernetKey> {
  const raw = b64urlDecode(key.trim());
  if (raw === null) throw new FernetKeyError('Fernet key is not url-safe base64');
  if (raw.length !== 32) {
    throw new FernetKeyError(`Fernet key must decode to 32 bytes, got ${raw.length}`);
  }
  const [signing, encryption] = await Promise.all([
    crypto.subtle.importKey('raw', raw.slice(0, 16), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]),
    crypto.subtle.importKey('raw', raw.slice(16), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
  ]);
  return { signing, encryption } as FernetKey;
}

export function generateFernetKey(): string {
  return b64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

export async function fernetEncrypt(
  key: FernetKey,
  plaintext: Uint8Array | string,
  opts: { now?: number; iv?: Uint8Array } = {},
): Promise<string> {
  // Copies narrow caller views to plain ArrayBuffers, which is what WebCrypto's types accept.
  const data = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : new Uint8Array(plaintext);
  const iv = opts.iv ? new Uint8Array(opts.iv) : crypto.getRandomValues(new Uint8Array(16));
  if (iv.length !== 16) throw new RangeError('Fernet IV must be 16 bytes');
  const now = Math.floor(opts.now ?? nowSeconds());
  if (!Number.isSafeInteger(now) || now < 0) {
    throw new RangeError('Fernet timestamp must be a non-negative integer');
  }

  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key.encryption, data),
  );
  const token = new Uint8Array(HEADER_LEN + ciphertext.length + MAC_LEN);
  const view = new DataView(token.buffer);
  view.setUint8(0, VERSION);
  view.setBigUint64(1, BigInt(now));
  token.set(iv, 9);
  token.set(ciphertext, HEADER_LEN);
  const signed = token.subarray(0, HEADER_LEN + ciphertext.length);
  token.set(new Uint8Array(await crypto.subtle.sign('HMAC', key.signing, signed)), signed.length);
  return b64urlEncode(token);
}

type Opened = { plaintext: Uint8Array; timestamp: number };

// Parses once and tries each key's MAC, so a key ring costs one HMAC per key and one AES decrypt.
async function open(
  keys: readonly FernetKey[],
  token: string,
  opts: { ttl?: number; now?: number },
): Promise<Opened> {
  const raw = b64urlDecode(token);
  if (raw === null || raw.length < HEADER_LEN + BLOCK + MAC_LEN) throw new FernetTokenError();
  if (raw[0] !== VERSION || (raw.length - HEADER_LEN - MAC_LEN) % BLOCK !== 0) {
    throw new FernetTokenError();
  }
  const timestamp = Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(1));
  if (opts.ttl !== undefined) {
    const now = opts.now ?? nowSeconds();
    if (timestamp + opts.ttl < now || now + MAX_CLOCK_SKEW_SEC < timestamp) {
      throw new FernetTokenError();
    }
  }

  const signed = raw.subarray(0, raw.length - MAC_LEN);
  const mac = raw.subarray(raw.length - MAC_LEN);
  for (const key of keys) {
    // subtle.verify compares in constant time; a hand-rolled === on the MAC would not.
    if (!(await crypto.subtle.verify('HMAC', key.signing, mac, signed))) continue;
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: 'AES-CBC', iv: raw.subarray(9, HEADER_LEN) },
        key.encryption,
        raw.subarray(HEADER_LEN, raw.length - MAC_LEN),
      );
      return { plaintext: new Uint8Array(plaintext), timestamp };
    } catch {
      throw new FernetTokenError();
    }
  }
  throw new FernetTokenError();
}

export async function fernetDecrypt(
  key: FernetKey,
  token: string,
  opts: { ttl?: number; now?: number } = {},
): Promise<Uint8Array> {
  return (await open([key], token, opts)).plaintext;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Authenticated already, so this is a producer bug rather than tampering.
    throw new FernetTokenError('Fernet token plaintext is not valid UTF-8');
  }
}

/** ORCH_MASTER_KEY: comma-separated keys, newest first; the first encrypts, all decrypt. */
export async function createKeyRing(spec: string): Promise<KeyRing> {
  const entries = spec.split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '') {
    throw new FernetKeyError(`${SPEC_NAME} is empty: expected one or more comma-separated Fernet keys`);
  }
  // Sequential so the error names the first bad entry, not whichever import settles first.
  const keys: FernetKey[] = [];
  for (const [i, entry] of entries.entries()) {
    if (entry === '') throw new FernetKeyError(`${SPEC_NAME} entry ${i + 1} is empty`);
    try {
      keys.push(await importFernetKey(entry));
    } catch (err) {
      if (!(err instanceof FernetKeyError)) throw err;
      throw new FernetKeyError(
        `${SPEC_NAME} entry ${i + 1} is not a valid Fernet key: must be 32 bytes of url-safe base64`,
      );
    }
  }
  const primary = keys[0]!;

  return {
    encrypt: (text) => fernetEncrypt(primary, text),
    decrypt: async (token) => decodeUtf8((await open(keys, token, {})).plaintext),
    // Keeps the original timestamp, as MultiFernet.rotate does, so ttl checks still see the token's age.
    rotate: async (token) => {
      const { plaintext, timestamp } = await open(keys, token, {});
      return fernetEncrypt(primary, plaintext, { now: timestamp });
    },
  };
}
