// drizzle-kit reads this to generate SQL migrations from control/src/db/schema.ts.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './control/src/db/schema.ts',
  out: './migrations',
  migrations: { prefix: 'index' },
});
