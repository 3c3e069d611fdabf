// Validates the local control plane's configuration before start, naming the bad variable in one line,
// and says which settings the environment supplies (their names only: the values may be secrets).
import { ConfigError, parseConfig } from '../control/src/config.ts';
import { controlSettings } from './control-settings.ts';
import { DEV_VARS_SHOWN } from './dev-vars-file.ts';

const { values, fromEnvironment } = controlSettings();
if (fromEnvironment.length > 0) {
  console.warn(`check-config: taken from the environment, which wins over ${DEV_VARS_SHOWN}: ${fromEnvironment.join(', ')}`);
}
const whereToSet = (name: string) => ((fromEnvironment as string[]).includes(name) ? 'in the environment' : `in ${DEV_VARS_SHOWN}`);

try {
  const config = await parseConfig(values);
  if (config.usingDefaultAdminKey) {
    const bar = '!'.repeat(78);
    console.warn(
      [
        bar,
        '!! WARNING: the admin key is the default "admin". Anyone who can reach this server has full control.',
        `!! Set ORCH_DEFAULT_ADMIN_KEY in ${DEV_VARS_SHOWN} or the environment before exposing it beyond this machine.`,
        bar,
      ].join('\n'),
    );
  }
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`configuration error: ${err.message} (set ${err.variable} ${whereToSet(err.variable)})`);
  process.exit(1);
}
