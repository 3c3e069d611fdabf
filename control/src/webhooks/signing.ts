// Signing deliveries: the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`,
// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the secret's bytes),
// and the original Flight Control's `X-FlightControl-Signature: sha256=<hex HMAC of the body>`, keyed
// by the secret as written, for receivers built for it.

const SECRET_PREFIX = 'whsec_';

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function hmac(key: Uint8Array<ArrayBuffer>, message: string): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', imported, new TextEncoder().encode(message)));
}

/** A new signing secret: 24 random bytes, as Standard Webhooks writes them. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + base64(crypto.getRandomValues(new Uint8Array(24)));
}

/** The headers that sign `body` as message `id`, sent at `sentAt`. */
export async function signatureHeaders(secret: string, id: string, sentAt: Date, body: string): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(sentAt.getTime() / 1000));
  const key = fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  const signature = base64(await hmac(key, `${id}.${timestamp}.${body}`));
  const legacy = [...(await hmac(new TextEncoder().encode(secret), body))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
    'x-flightcontrol-signature': `sha256=${legacy}`,
  };
}
