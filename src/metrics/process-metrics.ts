import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | null = null;

/**
 * prom-client's default Node.js metrics (CPU, memory, heap, event-loop lag, GC, handles, file descriptors), under
 * their usual unprefixed names so that stock Node.js dashboards read them. They describe the process, so they are
 * collected once per process and shown by every application in it: each collection starts an event-loop monitor
 * and a GC observer that are never stopped, which the tests, starting many applications, would pile up.
 */
export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
