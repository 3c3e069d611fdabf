// The "Role" field of the key and member forms: only the roles offered, with what the chosen one may do.
import type { KeyRole } from '../api/types.ts';
import { ROLE_HELP } from '../lib/roles.ts';
import { Field } from './form.tsx';

export function RoleField<R extends KeyRole>(props: { roles: R[]; value: R; onChange: (role: R) => void; error?: string | undefined }) {
  return (
    <Field label="Role" hint={ROLE_HELP[props.value]} error={props.error}>
      {(f) => (
        <select {...f} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as R)}>
          {props.roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
