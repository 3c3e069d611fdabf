// The Worker's entry point.
import { createApp } from './app.ts';

const app = createApp();

export default app;

export { Dispatcher } from './queue/dispatcher.ts';
export { RunHub } from './logs/run-hub.ts';
