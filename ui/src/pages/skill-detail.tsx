// One skill: what its SKILL.md says about it, its instructions, and its files to download; members
// may delete it.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, download } from '../api/client.ts';
import type { SkillDetail as Skill } from '../api/types.ts';
import { ConfirmButton } from '../components/dialogs.tsx';
import { ErrorNotice, Loaded } from '../components/notice.tsx';
import { Table } from '../components/table.tsx';
import { Page, Section } from '../components/page.tsx';
import { Ago } from '../components/time.tsx';
import { bytes } from '../lib/format.ts';
import { useResource } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

/** The file's download path: each segment encoded, the slashes kept (the route takes them). */
function filePath(skillId: string, path: string): string {
  return `/skills/${encodeURIComponent(skillId)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function Files(props: { skill: Skill }) {
  const [error, setError] = useState<Error | null>(null);
  const files = [...props.skill.files].sort((a, b) => (a.file_path === 'SKILL.md' ? -1 : b.file_path === 'SKILL.md' ? 1 : a.file_path.localeCompare(b.file_path)));
  return (
    <>
      <ErrorNotice error={error} what="Download failed" />
      <Table
        caption={`Files of ${props.skill.name}`}
        head={
          <>
            <th scope="col">Path</th>
            <th scope="col">Type</th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">
              <span class="visually-hidden">Download</span>
            </th>
          </>
        }
      >
        {files.map((f) => (
          <tr key={f.id}>
            <th scope="row" class="mono">
              {f.file_path}
            </th>
            <td class="muted">{f.content_type}</td>
            <td class="num">{bytes(f.size_bytes)}</td>
            <td>
              <button type="button" class="small" aria-label={`Download ${f.file_path}`} onClick={() => download(filePath(props.skill.id, f.file_path), f.file_path.split('/').pop() ?? f.file_path).catch(setError)}>
                Download
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}

export default function SkillDetail() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? '';
  const skill = useResource<Skill>(`/skills/${encodeURIComponent(id)}`, ['skills']);
  const s = skill.data;
  return (
    <Page
      title={s ? s.name : 'Skill'}
      lede={s?.description}
      actions={
        s &&
        canEdit.value && (
          <ConfirmButton
            label="Delete skill"
            title={`Delete skill ${s.name}?`}
            danger
            onConfirm={async () => {
              await api(`/skills/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
              route('/skills');
            }}
          >
            <p>Its {s.file_count} files are deleted with it; runs started afterwards no longer get it.</p>
          </ConfirmButton>
        )
      }
    >
      <p>
        <a href="/skills">← All skills</a>
      </p>
      <Loaded resource={skill} what="the skill">
        {(data) => (
          <>
            <Section title="About">
              <dl class="props">
                <dt>License</dt>
                <dd>{data.license ?? <span class="muted">—</span>}</dd>
                <dt>Compatibility</dt>
                <dd>{data.compatibility ?? <span class="muted">—</span>}</dd>
                <dt>Allowed tools</dt>
                <dd>{data.allowed_tools ? <code>{data.allowed_tools}</code> : <span class="muted">any</span>}</dd>
                {Object.entries(data.metadata_kv ?? {}).map(([k, v]) => (
                  <Fragment key={k}>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </Fragment>
                ))}
                <dt>Size</dt>
                <dd>
                  {data.file_count} files, {bytes(data.total_size_bytes)}
                </dd>
                <dt>Checksum</dt>
                <dd class="mono small">{data.checksum_sha256}</dd>
                <dt>Uploaded</dt>
                <dd>
                  <Ago at={data.created_at} />
                </dd>
                <dt>Updated</dt>
                <dd>
                  <Ago at={data.updated_at} />
                </dd>
              </dl>
            </Section>
            <Section title="Instructions">{data.instructions.trim() ? <pre class="instructions">{data.instructions}</pre> : <p class="muted">None.</p>}</Section>
            <Section title="Files">
              <Files skill={data} />
            </Section>
          </>
        )}
      </Loaded>
    </Page>
  );
}
