// Stream tickets: short-lived, single-run stand-ins for an API key in a log stream's URL, so browsers
// (EventSource and WebSocket can't send headers) never put a key where URLs end up: logs and traces.
import type { KeyRing } from '../crypto/fernet.ts';

/** How long a ticket opens its run's stream. */
export const TICKET_SECONDS = 60;

export interface StreamTicket {
  runId: string;
  workspaceId: string;
  /** The key that asked for it: the stream acts, and is re-checked, as that key. */
  keyId: string;
  expiresAt: number;
}

interface Payload {
  t: 'stream';
  r: string;
  w: string;
  k: string;
  e: number;
}

/** A Fernet token (encrypted and authenticated with the master key ring) of what the ticket allows. */
export async function mintStreamTicket(keyRing: KeyRing, ticket: Omit<StreamTicket, 'expiresAt'>, now = Date.now()): Promise<{ ticket: string; expiresAt: number }> {
  const expiresAt = now + TICKET_SECONDS * 1000;
  const payload: Payload = { t: 'stream', r: ticket.runId, w: ticket.workspaceId, k: ticket.keyId, e: expiresAt };
  return { ticket: await keyRing.encrypt(JSON.stringify(payload)), expiresAt };
}

/** The ticket's contents, or null when it is forged, damaged or expired. */
export async function readStreamTicket(keyRing: KeyRing, token: string, now = Date.now()): Promise<StreamTicket | null> {
  let payload: Payload;
  try {
    payload = JSON.parse(await keyRing.decrypt(token)) as Payload;
  } catch {
    return null;
  }
  if (payload.t !== 'stream' || typeof payload.r !== 'string' || typeof payload.w !== 'string' || typeof payload.k !== 'string' || !(payload.e > now)) return null;
  return { runId: payload.r, workspaceId: payload.w, keyId: payload.k, expiresAt: payload.e };
}
