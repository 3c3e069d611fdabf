// Files people upload (artifacts, skill files) served back: always as a download, never sniffed, and
// never as a type a browser would render as the control plane's own page.

/** Types served as they are; anything else (HTML, SVG, scripts) goes out as application/octet-stream. */
const SERVED_TYPES = new Set([
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/json',
  'application/x-ndjson',
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-tar',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'audio/mpeg',
  'audio/wav',
  'video/mp4',
]);

export function servedContentType(stored: string): string {
  const type = stored.split(';')[0]!.trim().toLowerCase();
  if (!SERVED_TYPES.has(type)) return 'application/octet-stream';
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}

export interface Download {
  filename: string;
  contentType: string;
  sizeBytes: number;
  checksumSha256: string;
}

export function download(body: ReadableStream, file: Download): Response {
  return new Response(body, {
    headers: {
      'Content-Type': servedContentType(file.contentType),
      'X-Content-Type-Options': 'nosniff',
      'Content-Length': String(file.sizeBytes),
      // Header values must be ASCII: the plain form gets a stand-in for other characters, filename* the real name.
      'Content-Disposition': `attachment; filename="${file.filename.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
      'X-Checksum-SHA256': file.checksumSha256,
    },
  });
}
