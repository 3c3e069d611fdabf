import { describe, expect, it } from 'vitest';
import {
  FernetKeyError,
  FernetTokenError,
  createKeyRing,
  fernetDecrypt,
  fernetEncrypt,
  generateFernetKey,
  importFernetKey,
} from '../src/crypto/fernet.ts';
import vectors from './fixtures/fernet-vectors.json';

const unixSeconds = (iso: string): number => Date.parse(iso) / 1000;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function decodeToken(token: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(token.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0));
}

function encodeToken(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_');
}

describe('Fernet spec vectors', () => {
  it.each(vectors.generate)('generates the published token for "$src"', async (v) => {
    const key = await importFernetKey(v.secret);
    const token = await fernetEncrypt(key, v.src, { now: unixSeconds(v.now), iv: Uint8Array.from(v.iv) });
    expect(token).toBe(v.token);
  });

  it.each(vectors.verify)('decrypts the published token to "$src"', async (v) => {
    const key = await importFernetKey(v.secret);
    const plaintext = await fernetDecrypt(key, v.token, { ttl: v.ttl_sec, now: unixSeconds(v.now) });
    expect(text(plaintext)).toBe(v.src);
  });

  it.each(vectors.invalid)('rejects the invalid token: $desc', async (v) => {
    const key = await importFernetKey(v.secret);
    await expect(fernetDecrypt(key, v.token, { ttl: v.ttl_sec, now: unixSeconds(v.now) })).rejects.toThrow(
      FernetTokenError,
    );
  });
});

describe('fernetEncrypt / fernetDecrypt', () => {
  it('round-trips text and binary data with a random key', async () => {
    const key = await importFernetKey(generateFernetKey());
    const binary = crypto.getRandomValues(new Uint8Array(1000));
    expect(text(await fernetDecrypt(key, await fernetEncrypt(key, 'héllo ✈')))).toBe('héllo ✈');
    expect(await fernetDecrypt(key, await fernetEncrypt(key, binary))).toEqual(binary);
    expect(await fernetDecrypt(key, await fernetEncrypt(key, ''))).toEqual(new Uint8Array());
  });

  it('emits padded url-safe base64 starting with the version byte, like Python', async () => {
    const key = await importFernetKey(generateFernetKey());
    const token = await fernetEncrypt(key, 'x'.repeat(17));
    expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]*=*$/);
    expect(token.length % 4).toBe(0);
  });

  it('uses a fresh IV per token', async () => {
    const key = await importFernetKey(generateFernetKey());
    expect(await fernetEncrypt(key, 'same', { now: 1 })).not.toBe(await fernetEncrypt(key, 'same', { now: 1 }));
  });

  it('rejects a token with any single bit flipped', async () => {
    const key = await importFernetKey(generateFernetKey());
    const bytes = decodeToken(await fernetEncrypt(key, 'secret value'));
    for (let i = 0; i < bytes.length; i++) {
      const tampered = bytes.slice();
      tampered[i]! ^= 0x01;
      await expect(fernetDecrypt(key, encodeToken(tampered)), `byte ${i}`).rejects.toThrow(FernetTokenError);
    }
  });

  it('rejects a correctly signed token with an unknown version byte', async () => {
    const secret = generateFernetKey();
    const key = await importFernetKey(secret);
    const bytes = decodeToken(await fernetEncrypt(key, 'future format'));
    bytes[0] = 0x81;
    // Re-sign so only the version check, not the MAC, can reject it.
    const signingKey = decodeToken(secret).slice(0, 16);
    const hmac = { name: 'HMAC', hash: 'SHA-256' };
    const signing = await crypto.subtle.importKey('raw', signingKey, hmac, false, ['sign']);
    const mac = await crypto.subtle.sign('HMAC', signing, bytes.subarray(0, -32));
    bytes.set(new Uint8Array(mac), bytes.length - 32);
    await expect(fernetDecrypt(key, encodeToken(bytes))).rejects.toThrow(FernetTokenError);
  });

  it('rejects a token made with a different key', async () => {
    const [a, b] = await Promise.all([importFernetKey(generateFernetKey()), importFernetKey(generateFernetKey())]);
    await expect(fernetDecrypt(b, await fernetEncrypt(a, 'for a only'))).rejects.toThrow(FernetTokenError);
  });

  it('enforces ttl and clock skew only when a ttl is given, as Python does', async () => {
    const key = await importFernetKey(generateFernetKey());
    const token = await fernetEncrypt(key, 'aging', { now: 1_000_000 });
    expect(text(await fernetDecrypt(key, token, { ttl: 60, now: 1_000_060 }))).toBe('aging');
    await expect(fernetDecrypt(key, token, { ttl: 60, now: 1_000_061 })).rejects.toThrow(FernetTokenError);
    expect(text(await fernetDecrypt(key, token, { ttl: 60, now: 1_000_000 - 60 }))).toBe('aging');
    await expect(fernetDecrypt(key, token, { ttl: 60, now: 1_000_000 - 61 })).rejects.toThrow(FernetTokenError);
    expect(text(await fernetDecrypt(key, token, { now: 5_000_000 }))).toBe('aging');
  });

  it('gives the same generic message for every token failure', async () => {
    const key = await importFernetKey(generateFernetKey());
    const errors = await Promise.all(
      ['', 'not a token', vectors.verify[0]!.token].map((t) => fernetDecrypt(key, t).catch((e: unknown) => e)),
    );
    for (const err of errors) {
      expect(err).toBeInstanceOf(FernetTokenError);
      expect((err as Error).message).toBe('invalid Fernet token');
    }
  });
});

describe('importFernetKey / generateFernetKey', () => {
  it('generates 44-character keys that import', async () => {
    const key = generateFernetKey();
    expect(key).toHaveLength(44);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    await expect(importFernetKey(key)).resolves.toBeDefined();
  });

  it('accepts a key with or without its padding', async () => {
    const secret = vectors.generate[0]!.secret;
    const padded = await importFernetKey(secret);
    const unpadded = await importFernetKey(secret.replace(/=+$/, ''));
    expect(text(await fernetDecrypt(unpadded, await fernetEncrypt(padded, 'same key')))).toBe('same key');
  });

  it.each([
    ['too short', 'c2hvcnQta2V5'],
    ['too long', `${'A'.repeat(44)}AAAA`],
    ['not base64', 'this is not base64 at all!!'],
    ['standard base64 alphabet', 'cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4='],
    ['empty', ''],
  ])('rejects a key that is %s without echoing it', async (_label, bad) => {
    const err = await importFernetKey(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FernetKeyError);
    if (bad !== '') expect((err as Error).message).not.toContain(bad);
  });
});

describe('createKeyRing (ORCH_MASTER_KEY)', () => {
  const k1 = generateFernetKey();
  const k2 = generateFernetKey();

  it('encrypts with the first key and decrypts tokens from any key', async () => {
    const ring = await createKeyRing(` ${k1} , ${k2} `);
    const first = await importFernetKey(k1);
    expect(text(await fernetDecrypt(first, await ring.encrypt('new secret')))).toBe('new secret');

    const oldToken = await fernetEncrypt(await importFernetKey(k2), 'old secret');
    expect(await ring.decrypt(oldToken)).toBe('old secret');
  });

  it('rotate() re-encrypts an old-key token under the first key, keeping its timestamp', async () => {
    const ring = await createKeyRing(`${k1},${k2}`);
    const oldToken = await fernetEncrypt(await importFernetKey(k2), 'rotate me', { now: 1_234_567 });
    const rotated = await ring.rotate(oldToken);

    expect(text(await fernetDecrypt(await importFernetKey(k1), rotated))).toBe('rotate me');
    await expect(fernetDecrypt(await importFernetKey(k2), rotated)).rejects.toThrow(FernetTokenError);
    // Version byte + 8-byte timestamp are exactly the first 12 base64 characters.
    expect(rotated.slice(0, 12)).toBe(oldToken.slice(0, 12));
  });

  it('rejects tokens from keys that are not in the ring', async () => {
    const ring = await createKeyRing(k1);
    const stranger = await fernetEncrypt(await importFernetKey(k2), 'nope');
    await expect(ring.decrypt(stranger)).rejects.toThrow(FernetTokenError);
    await expect(ring.rotate(stranger)).rejects.toThrow(FernetTokenError);
  });

  it.each([
    ['an empty spec', '', /ORCH_MASTER_KEY is empty/],
    ['a whitespace-only spec', '   ', /ORCH_MASTER_KEY is empty/],
    ['a too-short second key', `${k1},c2hvcnQ=`, /ORCH_MASTER_KEY entry 2 is not a valid Fernet key/],
    ['a non-base64 first key', `not*base64*key,${k1}`, /ORCH_MASTER_KEY entry 1 is not a valid Fernet key/],
    ['an empty entry between commas', `${k1},,${k2}`, /ORCH_MASTER_KEY entry 2 is empty/],
    ['a trailing comma', `${k1},${k2},`, /ORCH_MASTER_KEY entry 3 is empty/],
  ])('rejects %s, naming the entry but not the key text', async (_label, spec, message) => {
    const err = await createKeyRing(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FernetKeyError);
    expect((err as Error).message).toMatch(message);
    for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
      expect((err as Error).message).not.toContain(part);
    }
  });
});
