import { randomBytes } from 'node:crypto';

/**
 * vitest global setup: gives the run an id (test databases are named after it; the test processes inherit it), and
 * under TEST_STORE=postgres drops the run's databases at the end.
 */
export default function setup(): () => Promise<void> {
  const runId = randomBytes(3).toString('hex');
  process.env['TEST_RUN_ID'] = runId;
  return async () => {
    if (process.env['TEST_STORE'] !== 'postgres') return;
    const { dropTestDatabases } = await import('./postgres.js');
    await dropTestDatabases(`t_${runId}_`);
  };
}
