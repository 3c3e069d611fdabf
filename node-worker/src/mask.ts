// Hides secret values in text bound for the control plane: each secret in the forms it is likely to
// leak in — as is, base64 (standard and URL-safe), JSON-escaped and URL-encoded.
//
// Values shorter than MIN_SECRET_LENGTH are not masked: replacing every "ab" or "1" in a log would
// destroy the log while protecting nothing a guess couldn't find. Base64 is matched as the encoding
// of the value on its own; a secret base64-encoded in the middle of a longer blob shifts to other
// characters and is not recognised. Text is masked line by line, so a value split across lines is
// not caught either.

export const MIN_SECRET_LENGTH = 4;
export const MASK = '***';

export type Masker = (text: string) => string;

/** Every form of `value` that gets replaced, longest first. */
export function secretForms(value: string): string[] {
  if (value.length < MIN_SECRET_LENGTH) return [];
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64');
  const forms = new Set([
    value,
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    // application/x-www-form-urlencoded, as URLSearchParams writes it.
    new URLSearchParams({ v: value }).toString().slice(2),
  ]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Builds one matcher for all `secrets`; with none worth masking, text passes through unchanged. */
export function createMasker(secrets: Iterable<string>): Masker {
  const forms = new Set<string>();
  for (const secret of secrets) for (const form of secretForms(secret)) forms.add(form);
  if (forms.size === 0) return (text) => text;
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = new RegExp([...forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, MASK);
}

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)/i;

/** Values of variables whose names say they hold a secret (e.g. a provider key set on the worker's machine). */
export function secretsInEnv(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([name]) => SECRET_NAME.test(name))
    .map(([, value]) => value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
