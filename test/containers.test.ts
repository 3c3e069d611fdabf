// The container setup, checked without a Docker engine: the compose file parses and hangs together,
// the Dockerfiles refer to files that exist, and no image can take in local secrets or state.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const envExample = new Set([...read('.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));

/** The instructions of a Dockerfile, continuation lines joined. */
function instructions(path: string): { op: string; args: string }[] {
  return read(path)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('docker-compose.yml', () => {
  it('has the control plane and a scalable worker, each built from a Dockerfile that exists', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['control', 'worker']);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.build, name).toBeDefined();
      expect(existsSync(join(ROOT, service.build!.context, service.build!.dockerfile)), `${name}: ${service.build!.dockerfile}`).toBe(true);
    }
    // Scaling workers needs them to publish no fixed host port.
    expect(compose.services.worker?.ports).toBeUndefined();
  });

  it('documents in .env.example every variable it reads from .env', () => {
    const used = [...read('docker-compose.yml').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !envExample.has(name))).toEqual([]);
  });

  it('points the workers at the control service, started only once it is healthy, with its data on a named volume', () => {
    const control = compose.services.control!;
    const worker = compose.services.worker!;
    expect(worker.environment?.ORCH_SERVER_URL).toBe('http://control:8080');
    expect(control.ports?.some((p) => p.endsWith(':8080'))).toBe(true);
    expect(worker.depends_on?.control?.condition).toBe('service_healthy');
    expect(control.healthcheck?.test.join(' ')).toContain('/api/v1/health');
    const volume = control.volumes?.[0]?.split(':')[0];
    expect(volume && compose.volumes && volume in compose.volumes).toBe(true);
  });
});

describe('the Dockerfiles', () => {
  const files = Object.values(compose.services).map((s) => s.build!.dockerfile);

  it('start from a Node that meets package.json engines', () => {
    const wanted = /(\d+)\.(\d+)/.exec((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node)!;
    for (const file of files) {
      const from = instructions(file).find((i) => i.op === 'FROM')!;
      const major = Number(/node:(\d+)/.exec(from.args)?.[1]);
      expect(major, file).toBeGreaterThanOrEqual(Number(wanted[1]));
    }
  });

  it('run only scripts that are in the repository', () => {
    for (const file of files) {
      for (const { op, args } of instructions(file).filter((i) => i.op === 'ENTRYPOINT' || i.op === 'CMD')) {
        const argv = JSON.parse(args) as string[];
        const script = argv.find((a) => /\.(ts|sh|js)$/.test(a))!;
        expect(script, `${file} ${op}`).toBeDefined();
        expect(existsSync(join(ROOT, script.replace(/^\/app\//, ''))), `${file} ${op} ${script}`).toBe(true);
      }
    }
  });

  it('copy the repository without local state or secrets (.dockerignore)', () => {
    const ignored = new Set(read('.dockerignore').split('\n').map((l) => l.trim()));
    for (const path of ['.dev.vars', '.env', '.state', 'node_modules', '.tools', '.git']) expect(ignored.has(path), path).toBe(true);
  });
});
