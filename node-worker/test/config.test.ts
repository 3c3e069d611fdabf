import { describe, expect, it } from 'vitest';
import { parseLabels, parseWorkerConfig, WorkerConfigError } from '../src/config.ts';

describe('worker config', () => {
  it('reads the original variables with their defaults', () => {
    const config = parseWorkerConfig({ ORCH_LABELS: ' gpu=true , zone = eu ' });
    expect(config).toMatchObject({
      serverUrl: 'http://localhost:8080',
      apiKey: 'admin',
      workspaceId: 'default',
      concurrency: 1,
      labels: { gpu: 'true', zone: 'eu' },
    });
    expect(config.workerName).toMatch(/^worker-/);
  });

  it('names the variable that is wrong', () => {
    const cases: [Record<string, string>, string][] = [
      [{ ORCH_SERVER_URL: 'not a url' }, 'ORCH_SERVER_URL'],
      [{ ORCH_CONCURRENCY: 'many' }, 'ORCH_CONCURRENCY'],
      [{ ORCH_CONCURRENCY: '0' }, 'ORCH_CONCURRENCY'],
      [{ ORCH_WORKSPACE_ID: 'a b' }, 'ORCH_WORKSPACE_ID'],
      [{ ORCH_LABELS: 'gpu' }, 'ORCH_LABELS'],
    ];
    for (const [env, variable] of cases) {
      let error: unknown;
      try {
        parseWorkerConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error, variable).toBeInstanceOf(WorkerConfigError);
      expect((error as WorkerConfigError).variable).toBe(variable);
    }
  });

  it('trims a trailing slash from the server URL', () => {
    expect(parseWorkerConfig({ ORCH_SERVER_URL: 'http://127.0.0.1:9/' }).serverUrl).toBe('http://127.0.0.1:9');
    expect(parseLabels('')).toEqual({});
  });
});
