// The Worker's entry point.
import { createApp } from './app.ts';

const app = createApp();

export default app;
