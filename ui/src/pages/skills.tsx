// Skills: Agent Skills bundles (a SKILL.md and the files it uses) the workspace gives its runs.
// Members upload one as separate files or a zip, and delete them.
import { useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api/client.ts';
import type { SkillSummary } from '../api/types.ts';
import { ConfirmButton } from '../components/dialogs.tsx';
import { Field, FormError, useSubmit } from '../components/form.tsx';
import { Empty, Loaded } from '../components/notice.tsx';
import { Announcer, Table } from '../components/table.tsx';
import { Page } from '../components/page.tsx';
import { Ago } from '../components/time.tsx';
import { bytes } from '../lib/format.ts';
import { useList } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

type Extra = 'files' | 'zip';

function UploadSkill() {
  const { route } = useLocation();
  const dialog = useRef<HTMLDialogElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const [extra, setExtra] = useState<Extra>('files');
  const submit = useSubmit();
  const reset = () => {
    form.current?.reset();
    setExtra('files');
    submit.clear();
  };
  const close = () => {
    reset();
    dialog.current?.close();
  };
  return (
    <>
      <button type="button" class="primary" onClick={() => dialog.current?.showModal()}>
        Upload skill
      </button>
      <dialog ref={dialog} aria-label="Upload skill" onClose={reset}>
        <form
          ref={form}
          onSubmit={(e) => {
            e.preventDefault();
            const inputs = e.currentTarget.elements;
            const skillMd = (inputs.namedItem('skill_md') as HTMLInputElement).files?.[0];
            const body = new FormData();
            if (skillMd) body.append('skill_md', skillMd, 'SKILL.md');
            if (extra === 'zip') {
              const zip = (inputs.namedItem('zip_file') as HTMLInputElement | null)?.files?.[0];
              if (zip) body.append('zip_file', zip, zip.name);
            } else {
              for (const file of (inputs.namedItem('files') as HTMLInputElement | null)?.files ?? []) body.append('files', file, file.name);
            }
            void submit.run(async () => {
              const skill = await api<SkillSummary>('/skills', { form: body });
              close();
              route(`/skills/${skill.id}`);
            });
          }}
        >
          <h2>Upload skill</h2>
          <Field label="SKILL.md" hint="Its frontmatter names and describes the skill; the rest are the instructions." error={submit.fieldError('skill_md')}>
            {(f) => <input {...f} type="file" name="skill_md" required accept=".md,text/markdown,text/plain" />}
          </Field>
          <fieldset>
            <legend>Other files</legend>
            <label class="check">
              <input type="radio" name="extra" value="files" checked={extra === 'files'} onChange={() => setExtra('files')} /> Separate files
            </label>
            <label class="check">
              <input type="radio" name="extra" value="zip" checked={extra === 'zip'} onChange={() => setExtra('zip')} /> A zip of them
            </label>
            {extra === 'files' ? (
              <Field label="Files" hint="Optional. Each is stored under its file name." error={submit.fieldError('files')}>
                {(f) => <input {...f} type="file" name="files" multiple />}
              </Field>
            ) : (
              <Field label="Zip file" hint="Its folders are kept; a SKILL.md at its root is left out." error={submit.fieldError('zip_file')}>
                {(f) => <input {...f} type="file" name="zip_file" required accept=".zip,application/zip" />}
              </Field>
            )}
          </fieldset>
          <FormError submit={submit} shown={['skill_md', 'files', 'zip_file']} />
          <div class="actions">
            <button type="button" class="ghost" onClick={close}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={submit.busy}>
              {submit.busy ? 'Uploading…' : 'Upload'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export default function Skills() {
  const skills = useList<SkillSummary>('/skills', ['skills'], {}, 200);
  const [notice, setNotice] = useState('');
  const editor = canEdit.value;
  return (
    <Page title="Skills" lede="Instructions and files runs can load when a task calls for them." actions={editor && <UploadSkill />}>
      <Announcer message={notice} />
      <Loaded resource={skills} what="skills">
        {(list) =>
          list.length === 0 ? (
            <Empty>No skills yet.{editor ? ' Upload a SKILL.md to add one.' : ''}</Empty>
          ) : (
            <Table
              caption="Skills"
              actions={editor}
              head={
                <>
                  <th scope="col">Skill</th>
                  <th scope="col">Description</th>
                  <th scope="col" class="num">
                    Files
                  </th>
                  <th scope="col" class="num">
                    Size
                  </th>
                  <th scope="col">Updated</th>
                </>
              }
            >
              {list.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <a href={`/skills/${s.id}`}>{s.name}</a>
                  </th>
                  <td>{s.description}</td>
                  <td class="num">{s.file_count}</td>
                  <td class="num">{bytes(s.total_size_bytes)}</td>
                  <td>
                    <Ago at={s.updated_at} />
                  </td>
                  {editor && (
                    <td>
                      <ConfirmButton
                        label="Delete"
                        ariaLabel={`Delete ${s.name}`}
                        title={`Delete skill ${s.name}?`}
                        confirmLabel="Delete skill"
                        class="danger small"
                        danger
                        onConfirm={async () => {
                          await api(`/skills/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
                          setNotice(`Skill ${s.name} deleted.`);
                          void skills.reload();
                        }}
                      >
                        <p>Its {s.file_count} files are deleted with it; runs started afterwards no longer get it.</p>
                      </ConfirmButton>
                    </td>
                  )}
                </tr>
              ))}
            </Table>
          )
        }
      </Loaded>
    </Page>
  );
}
