/**
 * Configuration: every problem the loader finds, one line each (the loader's own list, so the doctor and the
 * worker never disagree), plus warnings for demo defaults that are fine on one machine and wrong for a sale.
 */
import { ConfigError, loadConfig, type Config, type ConfigRole } from '../config/env.ts';
import { fail, pass, warn, type Check } from './checks.ts';

export interface ConfigResult {
  config?: Config;
  checks: Check[];
}

/** `role`: whose configuration it is; the API's holds no OZmap or geocoder key (a worker checks those). */
export function configChecks(environment: NodeJS.ProcessEnv, role: ConfigRole = 'worker'): ConfigResult {
  let config: Config;
  try {
    config = loadConfig(environment, role);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { checks: err.problems.map(problemCheck) };
  }
  const set = (name: string) => (environment[name] ?? '').trim() !== '';
  const checks: Check[] = [pass('config.valid', 'Configuration', 'every variable is valid')];
  if (role === 'worker' && !set('OZMAP_API_KEY')) {
    checks.push(
      warn(
        'config.ozmap-demo-key',
        'OZmap key',
        "OZMAP_API_KEY is unset: the simulator's demo key is used (only allowed with a loopback OZMAP_URL)",
        "set OZMAP_API_KEY to the integration user's key before pointing OZMAP_URL at a real OZmap",
      ),
    );
  }
  if (config.http.demoKey) {
    checks.push(
      warn(
        'config.ispbox-demo-key',
        'Ispbox key',
        'ISPBOX_API_KEY is unset: the HTTP API uses the public demo key (only on loopback with the local simulator)',
        'set ISPBOX_API_KEY (at least 16 characters) to the key Ispbox will send',
      ),
    );
  }
  return { config, checks };
}

/** "VARIABLE: what is wrong[: how to fix it]" as the loader words it (config/env.ts). */
function problemCheck(problem: string): Check {
  const colon = problem.indexOf(': ');
  const variable = colon > 0 ? problem.slice(0, colon) : 'environment';
  const message = colon > 0 ? problem.slice(colon + 2) : problem;
  const lastColon = message.lastIndexOf(': ');
  const fix = lastColon > 0 ? message.slice(lastColon + 2) : `correct ${variable}: it ${message}`;
  return fail(`config.${variable}`, `Configuration: ${variable}`, `${variable} ${message}`, fix);
}
