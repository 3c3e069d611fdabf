// Identifiers and clock readings in the formats the API exposes.

/** 12 lowercase hex characters, as the original Flight Control's ids. */
export function newId(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 12);
}

/** ISO-8601 UTC with milliseconds; the same format the schema's column defaults write. */
export function nowIso(): string {
  return new Date().toISOString();
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  // Nothing here is backed by a SharedArrayBuffer, which is all the narrower type rules out.
  const digest = await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : (data as Uint8Array<ArrayBuffer>));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
