// A benchmark-only Worker entry that answers every request with `ok`: the runtime's own cost per
// request, with none of the control plane's code on the way (its Durable Object classes are exported
// only because wrangler.toml binds them).
export { Dispatcher, RunHub, Scheduler, WebhookSender, WorkspaceFeed } from '../control/src/index.ts';

export default {
  fetch: () => new Response('ok'),
} satisfies ExportedHandler;
