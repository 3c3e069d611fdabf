// A list shown as a table: scrolling in its own box on small screens, named by a caption for
// assistive tech, with a column for row actions only when there are any.
import type { ComponentChildren } from 'preact';

export function Table(props: { caption: string; head: ComponentChildren; actions?: boolean; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.head}
            {props.actions && (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** What just happened (created, deleted…), said to screen readers without moving focus. */
export function Announcer(props: { message: string }) {
  return (
    <p role="status" class="visually-hidden">
      {props.message}
    </p>
  );
}
