// Skills: uploads as files or a zip, SKILL.md's rules, hostile uploads refused whole, edits that
// reach the stored SKILL.md, downloads by path, and what a claim hands a worker.
import { env } from 'cloudflare:workers';
import { zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { call, callJson, expectError, unique } from './helpers.ts';

const skillMd = (name: string, extra = '', body = 'Follow these steps.') => `---\nname: ${name}\ndescription: Writes the fleet report.\n${extra}---\n\n${body}\n`;
const text = (s: string) => new TextEncoder().encode(s);
const zipOf = (files: Zippable, options?: Parameters<typeof zipSync>[1]): Bytes => zipSync(files, options) as Bytes;

type Bytes = Uint8Array<ArrayBuffer>;

function upload(parts: { skillMd: string | Bytes; files?: [string, string | Bytes][]; zip?: Bytes }, workspace?: string) {
  const form = new FormData();
  form.set('skill_md', new File([parts.skillMd], 'SKILL.md', { type: 'text/markdown' }));
  for (const [path, content] of parts.files ?? []) form.append('files', new File([content], path));
  if (parts.zip) form.set('zip_file', new File([parts.zip], 'skill.zip', { type: 'application/zip' }));
  return call('/skills', { method: 'POST', form, ...(workspace ? { workspace } : {}) });
}

async function uploaded(parts: Parameters<typeof upload>[0], workspace?: string) {
  const res = await upload(parts, workspace);
  const body = await res.json<any>();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

/** Every R2 object under the skill's prefix. */
async function stored(workspace: string, skillId: string): Promise<string[]> {
  return (await env.ARTIFACTS.list({ prefix: `${workspace}/skills/${skillId}/` })).objects.map((o) => o.key);
}

describe('uploading skills', () => {
  it('stores SKILL.md and further files, shows them, and serves each by its path', async () => {
    const name = unique('report');
    const skill = await uploaded({ skillMd: skillMd(name, 'license: MIT\nmetadata:\n  team: ops\n  version: 2\nallowed-tools: [shell, write]\n'), files: [['notes.txt', 'hello']] });
    expect(skill).toMatchObject({ name, description: 'Writes the fleet report.', license: 'MIT', allowed_tools: 'shell write', file_count: 2, checksum_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const detail = await callJson(`/skills/${skill.id}`);
    expect(detail).toMatchObject({ metadata_kv: { team: 'ops', version: '2' }, instructions: 'Follow these steps.' });
    expect(detail.files.map((f: any) => f.file_path)).toEqual(['SKILL.md', 'notes.txt']);
    const file = await call(`/skills/${skill.id}/files/notes.txt`);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="notes.txt"/);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await file.text()).toBe('hello');
    expect((await callJson<any[]>('/skills')).map((s) => s.name)).toContain(name);
    await expectError(await upload({ skillMd: skillMd(name) }), 409, 'conflict');
  });

  it('takes a zip, nested paths and all, and leaves a SKILL.md at its root to the skill_md part', async () => {
    const zip = zipOf({ 'scripts/run.sh': text('#!/bin/sh\necho hi\n'), 'docs/a/b.md': text('# b'), 'SKILL.md': text('ignored'), 'empty/': {} } as Zippable);
    const skill = await uploaded({ skillMd: skillMd(unique('zipped')), zip });
    const detail = await callJson(`/skills/${skill.id}`);
    expect(detail.files.map((f: any) => f.file_path)).toEqual(['SKILL.md', 'docs/a/b.md', 'scripts/run.sh']);
    expect(await (await call(`/skills/${skill.id}/files/scripts/run.sh`)).text()).toBe('#!/bin/sh\necho hi\n');
    expect(await (await call(`/skills/${skill.id}/files/SKILL.md`)).text()).toContain('Follow these steps.');
  });

  it('names the SKILL.md field that breaks the Agent Skills rules', async () => {
    const cases: [string | Bytes, string][] = [
      [skillMd('Upper-Case'), 'skill_md.name'],
      [skillMd('double--hyphen'), 'skill_md.name'],
      [skillMd('-leading'), 'skill_md.name'],
      [skillMd('x'.repeat(65)), 'skill_md.name'],
      ['---\nname: ok\n---\nbody', 'skill_md.description'],
      [`---\nname: ok\ndescription: ${'d'.repeat(1025)}\n---\n`, 'skill_md.description'],
      [skillMd('ok', 'metadata: flat\n'), 'skill_md.metadata'],
      [skillMd('ok', `compatibility: ${'c'.repeat(501)}\n`), 'skill_md.compatibility'],
      ['no frontmatter here', 'skill_md'],
      ['---\nname: [unclosed\n---\n', 'skill_md'],
      [new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a]), 'skill_md'],
    ];
    for (const [md, field] of cases) {
      const body = await expectError(await upload({ skillMd: md }), 422, 'validation_failed');
      expect(body.fields[0].field, String(md).slice(0, 40)).toBe(field);
    }
  });
});

describe('hostile uploads', () => {
  const link = zipOf({ 'evil': [text('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }] } as unknown as Zippable);
  const cases: [string, Parameters<typeof upload>[0], string][] = [
    ['a file climbing out with ..', { skillMd: '', files: [['../escape.txt', 'x']] }, 'files'],
    ['an absolute file path', { skillMd: '', files: [['/etc/passwd', 'x']] }, 'files'],
    ['a backslash path', { skillMd: '', files: [['a\\..\\b.txt', 'x']] }, 'files'],
    ['the same path twice', { skillMd: '', files: [['a.txt', '1'], ['a.txt', '2']] }, 'files'],
    ['a zip entry climbing out', { skillMd: '', zip: zipOf({ '../../x.txt': text('x') }) }, 'zip_file'],
    ['an absolute zip entry', { skillMd: '', zip: zipOf({ '/abs.txt': text('x') }) }, 'zip_file'],
    ['a zip entry with a backslash', { skillMd: '', zip: zipOf({ 'a\\b.txt': text('x') }) }, 'zip_file'],
    ['a symbolic link in a zip', { skillMd: '', zip: link }, 'zip_file'],
    ['a zip that is no zip', { skillMd: '', zip: text('PK but not really') }, 'zip_file'],
    ['a zip of more than 500 files', { skillMd: '', zip: zipOf(Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`f${i}.txt`, text('x')]))) }, 'zip_file'],
    ['a zip unpacking past 50 MiB', { skillMd: '', zip: zipOf({ 'big.bin': new Uint8Array(51 * 1024 * 1024) }, { level: 9 }) }, 'zip_file'],
  ];
  for (const [what, parts, field] of cases) {
    it(`refuses ${what} with a 422 naming ${field}, and stores nothing`, async () => {
      const name = unique('hostile');
      const before = (await env.ARTIFACTS.list({ prefix: 'default/skills/' })).objects.length;
      const body = await expectError(await upload({ ...parts, skillMd: skillMd(name) }), 422, 'validation_failed');
      expect(body.fields[0].field).toBe(field);
      expect((await callJson<any[]>('/skills?limit=500')).map((s) => s.name)).not.toContain(name);
      expect((await env.ARTIFACTS.list({ prefix: 'default/skills/' })).objects.length).toBe(before);
    });
  }

  it('says which part is not a file: a missing SKILL.md, or text where files go', async () => {
    const noSkillMd = new FormData();
    noSkillMd.set('skill_md', 'name: not a file');
    const missing = await expectError(await call('/skills', { method: 'POST', form: noSkillMd }), 422, 'validation_failed');
    expect(missing.fields).toEqual([{ field: 'skill_md', message: 'must be a file: a multipart/form-data part with a filename' }]);
    const textFiles = new FormData();
    textFiles.set('skill_md', new File([skillMd(unique('text-files'))], 'SKILL.md'));
    textFiles.set('files', 'just text');
    const files = await expectError(await call('/skills', { method: 'POST', form: textFiles }), 422, 'validation_failed');
    expect(files.fields).toEqual([{ field: 'files', message: 'must be files: multipart/form-data parts with filenames' }]);
  });

  it('refuses a zip whose entry unpacks to more than it declares', async () => {
    const zip = zipOf({ 'liar.txt': text('x'.repeat(1000)) });
    // Rewrite the declared size (in the local header and the directory) to 10 bytes.
    const view = new DataView(zip.buffer);
    const central = zip.findLastIndex((_, i) => i + 4 <= zip.length && view.getUint32(i, true) === 0x02014b50);
    view.setUint32(22, 10, true);
    view.setUint32(central + 24, 10, true);
    const body = await expectError(await upload({ skillMd: skillMd(unique('liar')), zip }), 422, 'validation_failed');
    expect(body.detail).toMatch(/does not match its size or checksum/);
  });
});

describe('editing and deleting skills', () => {
  it('writes the edit into the stored SKILL.md, so runs get it, and changes the skill\'s checksum', async () => {
    const skill = await uploaded({ skillMd: skillMd(unique('edited')), files: [['keep.txt', 'same']] });
    const edited = await callJson(`/skills/${skill.id}`, { method: 'PUT', body: { description: 'Writes it better.', instructions: 'New steps.' } }, 200);
    expect(edited).toMatchObject({ description: 'Writes it better.', file_count: 2 });
    expect(edited.checksum_sha256).not.toBe(skill.checksum_sha256);
    const md = await (await call(`/skills/${skill.id}/files/SKILL.md`)).text();
    expect(md).toMatch(/^---\nname: /);
    expect(md).toContain('description: Writes it better.');
    expect(md).toContain('New steps.');
    expect(await (await call(`/skills/${skill.id}/files/keep.txt`)).text()).toBe('same');
    expect(await stored('default', skill.id)).toHaveLength(2);
  });

  it('leaves a skill as uploaded, checksum and all, when an edit changes nothing', async () => {
    const skill = await uploaded({ skillMd: skillMd(unique('unchanged')) });
    const before = await (await call(`/skills/${skill.id}/files/SKILL.md`)).text();
    for (const body of [{}, { description: skill.description }]) {
      const same = await callJson(`/skills/${skill.id}`, { method: 'PUT', body }, 200);
      expect(same).toMatchObject({ checksum_sha256: skill.checksum_sha256, total_size_bytes: skill.total_size_bytes, updated_at: skill.updated_at });
    }
    expect(await (await call(`/skills/${skill.id}/files/SKILL.md`)).text()).toBe(before);
  });

  it('deletes a skill with its stored files', async () => {
    const skill = await uploaded({ skillMd: skillMd(unique('gone')), files: [['a.txt', 'a']] });
    expect(await stored('default', skill.id)).toHaveLength(2);
    await callJson(`/skills/${skill.id}`, { method: 'DELETE' }, 204);
    expect(await stored('default', skill.id)).toEqual([]);
    await expectError(await call(`/skills/${skill.id}`), 404, 'not_found');
  });
});

describe('skills in claims', () => {
  async function workerOf(workspace: string) {
    const key = (await callJson('/api-keys', { workspace, body: { name: unique('w'), role: 'worker' } }, 201)).key as string;
    const { id } = await callJson('/workers/register', { key, workspace, body: { name: 'w', concurrency: 8 } }, 201);
    const claim = async () => (await callJson<{ runs: any[] }>('/workers/claim', { key, workspace, body: { worker_id: id, max_runs: 8 } }, 200)).runs;
    return { key, claim };
  }

  it('hands a run every skill (null), none ([]), or those it names, with files and checksums; records them on the run', async () => {
    const slug = unique('skills-ws');
    const ws = (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const a = await uploaded({ skillMd: skillMd('alpha'), files: [['scripts/go.sh', 'echo go']] }, ws);
    const b = await uploaded({ skillMd: skillMd('beta') }, ws);
    const all = await callJson('/runs', { workspace: ws, body: { task_prompt: 'all' } }, 201);
    const none = await callJson('/runs', { workspace: ws, body: { task_prompt: 'none', skill_ids: [] } }, 201);
    const one = await callJson('/runs', { workspace: ws, body: { task_prompt: 'one', skill_ids: ['beta'] } }, 201);
    const worker = await workerOf(ws);
    const runs = await worker.claim();
    const byId = new Map(runs.map((r) => [r.run_id, r]));
    expect(byId.get(all.id).skills.map((s: any) => s.name)).toEqual(['alpha', 'beta']);
    expect(byId.get(none.id).skills).toEqual([]);
    expect(byId.get(one.id).skills.map((s: any) => s.name)).toEqual(['beta']);
    const alpha = byId.get(all.id).skills[0];
    expect(alpha).toMatchObject({ id: a.id, checksum_sha256: a.checksum_sha256 });
    expect(alpha.files.map((f: any) => f.file_path)).toEqual(['SKILL.md', 'scripts/go.sh']);
    // The worker's own route serves the files, the path's slashes and all.
    const file = await call(`/workers/skills/${a.id}/files/scripts/go.sh`, { key: worker.key, workspace: ws });
    expect(await file.text()).toBe('echo go');
    expect(file.headers.get('x-checksum-sha256')).toBe(alpha.files[1].checksum_sha256);
    expect((await callJson(`/runs/${all.id}`, { workspace: ws })).skills).toEqual([
      { name: 'alpha', checksum_sha256: a.checksum_sha256 },
      { name: 'beta', checksum_sha256: b.checksum_sha256 },
    ]);
  });

  it('refuses a job or run naming a skill the workspace does not have, on create and on update, naming the field', async () => {
    const slug = unique('skills-ws');
    const ws = (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const skill = await uploaded({ skillMd: skillMd('present') }, ws);
    const refused = async (res: Response) => (await expectError(res, 422, 'validation_failed')).fields;
    const job = { name: 'uses skills', task_prompt: 'x' };
    expect(await refused(await call('/jobs', { workspace: ws, body: { ...job, skill_ids: ['present', 'absent'] } }))).toEqual([
      { field: 'skill_ids', message: "no skill named 'absent' in this workspace" },
    ]);
    // Skills are named by name, as credentials are: an id is not a name.
    expect(await refused(await call('/runs', { workspace: ws, body: { task_prompt: 'x', skill_ids: [skill.id] } }))).toEqual([
      { field: 'skill_ids', message: `no skill named '${skill.id}' in this workspace` },
    ]);
    const saved = await callJson('/jobs', { workspace: ws, body: { ...job, skill_ids: ['present'] } }, 201);
    expect(await refused(await call(`/jobs/${saved.id}`, { workspace: ws, method: 'PUT', body: { skill_ids: ['typo'] } }))).toEqual([
      { field: 'skill_ids', message: "no skill named 'typo' in this workspace" },
    ]);
    expect((await callJson(`/jobs/${saved.id}`, { workspace: ws })).skill_ids).toEqual(['present']);
    expect((await callJson('/runs', { workspace: ws, body: { task_prompt: 'x', skill_ids: ['present'] } }, 201)).skill_ids).toEqual(['present']);
  });

  it('fails, rather than sends, a run naming a skill that no longer exists', async () => {
    const slug = unique('skills-ws');
    const ws = (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const skill = await uploaded({ skillMd: skillMd('doomed') }, ws);
    const run = await callJson('/runs', { workspace: ws, body: { task_prompt: 'x', skill_ids: ['doomed'] } }, 201);
    await callJson(`/skills/${skill.id}`, { workspace: ws, method: 'DELETE' }, 204);
    const worker = await workerOf(ws);
    expect(await worker.claim()).toEqual([]);
    expect(await callJson(`/runs/${run.id}`, { workspace: ws })).toMatchObject({ status: 'failed', failure_reason: 'skill_missing' });
  });
});
