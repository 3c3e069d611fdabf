import { describe, expect, it } from 'vitest';
import { createMasker, MASK, MIN_SECRET_LENGTH, secretsInEnv } from '../src/mask.ts';

const secret = 'sk-live/abc+def=ghi "quoted" ü';

describe('createMasker', () => {
  const mask = createMasker([secret]);

  it('hides the value as is, wherever it appears in a line', () => {
    expect(mask(`key=${secret}; again ${secret}`)).toBe(`key=${MASK}; again ${MASK}`);
  });

  it('hides its base64 forms: standard, unpadded and URL-safe', () => {
    const b64 = Buffer.from(secret).toString('base64');
    const url = Buffer.from(secret).toString('base64url');
    expect(b64).toMatch(/[+/=]/);
    expect(mask(`Authorization: Basic ${b64}`)).toBe(`Authorization: Basic ${MASK}`);
    expect(mask(`token ${b64.replace(/=+$/, '')} end`)).toBe(`token ${MASK} end`);
    expect(mask(`?t=${url}`)).toBe(`?t=${MASK}`);
  });

  it('hides it JSON-escaped, as it appears inside serialised tool arguments', () => {
    const json = JSON.stringify({ command: `curl -H "x: ${secret}"` });
    expect(json).not.toContain(secret);
    expect(mask(json)).toBe(JSON.stringify({ command: `curl -H "x: ${MASK}"` }));
  });

  it('hides it URL-encoded, with %20 or + for spaces', () => {
    expect(mask(`https://x.test/?k=${encodeURIComponent(secret)}`)).toBe(`https://x.test/?k=${MASK}`);
    expect(mask(`k=${new URLSearchParams({ v: secret }).toString().slice(2)}&n=1`)).toBe(`k=${MASK}&n=1`);
  });

  it('replaces a longer secret whole even when it contains a shorter one', () => {
    const both = createMasker(['abcd', 'xxabcdxx']);
    expect(both('1 xxabcdxx 2 abcd')).toBe(`1 ${MASK} 2 ${MASK}`);
  });

  it('treats regular-expression characters in secrets literally', () => {
    const odd = createMasker(['a.b*c(d)']);
    expect(odd('a.b*c(d) aXbbbc(d)')).toBe(`${MASK} aXbbbc(d)`);
  });

  it(`leaves values shorter than ${MIN_SECRET_LENGTH} characters alone, and text without secrets unchanged`, () => {
    const short = createMasker(['abc', '', '1']);
    expect(short('abc 1 abcd')).toBe('abc 1 abcd');
    expect(createMasker([])('nothing to hide')).toBe('nothing to hide');
    expect(mask('nothing to hide')).toBe('nothing to hide');
  });
});

describe('secretsInEnv', () => {
  it('picks the values of variables named like secrets, and only those', () => {
    const env = { OPENAI_API_KEY: 'sk-1', GITHUB_TOKEN: 'ghp', DB_PASSWORD: 'pw', HOME: '/home/x', PATH: '/usr/bin', LANG: 'C' };
    expect(secretsInEnv(env).sort()).toEqual(['ghp', 'pw', 'sk-1']);
  });
});
