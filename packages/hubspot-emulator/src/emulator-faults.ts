/** Fault injection: HubSpot outages, errors and slowness on demand, for the next N requests or until a time. */
import { HubSpotApiError, InvalidControlInput } from './emulator-error.js';

/**
 * - `status`: answer `status` (default 503) without handling the request;
 * - `hang`: hold the request unhandled (see below);
 * - `latency`: wait `latencyMs`, then handle it normally;
 * - `apply-then-status`: handle the request normally (its writes are applied), then answer `status` (default 502)
 *   with HubSpot's error body instead of the real answer: the client cannot tell whether its write happened
 *   (hubspot.md, "What an emulator must reproduce": "apply the request, then answer 5xx");
 * - `apply-then-hang`: handle and apply it, then never answer ("apply it, then never answer"), see below.
 */
export type FaultMode = 'none' | 'status' | 'hang' | 'latency' | 'apply-then-status' | 'apply-then-hang';
export type FaultStatus = 500 | 502 | 503 | 504 | 423;

export const FAULT_STATUSES: readonly FaultStatus[] = [500, 502, 503, 504, 423];
export const FAULT_MODES: readonly FaultMode[] = [
  'none',
  'status',
  'hang',
  'latency',
  'apply-then-status',
  'apply-then-hang',
];

/** The modes that hold requests without answering them. */
export type HoldingFaultMode = 'hang' | 'apply-then-hang';

/**
 * A request held by `hang` stays unanswered until the hang fault is replaced by another mode or cleared (it is
 * then handled normally, if the client is still waiting), its `until` passes (handled normally too), or the
 * emulator resets or closes (the connection is dropped). A request held by `apply-then-hang` has already been
 * handled: when that fault is replaced by another mode, cleared or its `until` passes, or on reset or close, its
 * connection is dropped without an answer. `count` only limits how many requests get caught.
 */
export interface FaultConfig {
  mode: FaultMode;
  /** For modes "status" (default 503) and "apply-then-status" (default 502). */
  status?: FaultStatus;
  /** For mode "latency": delay before the request is handled normally. */
  latencyMs?: number;
  /** Apply to the next N matching requests only. */
  count?: number;
  /** Epoch ms after which the fault no longer applies. */
  until?: number;
  /** Regular expression tested against the request path as sent (without query); all HubSpot paths when absent. */
  paths?: string;
  /**
   * Mode "status" only: the fault applies only to requests whose body contains this text (a HubSpot that fails one
   * input every time, say); the request is refused without being applied, once its body has been read. JSON bodies
   * only: multipart file uploads are not matched.
   */
  bodyContains?: string;
}

export type ActiveFault =
  | { mode: 'status'; status: FaultStatus }
  | { mode: 'hang' }
  | { mode: 'latency'; latencyMs: number }
  | { mode: 'apply-then-status'; status: FaultStatus }
  | { mode: 'apply-then-hang' };

export interface FaultStatusReport {
  config: FaultConfig;
  remaining: number | null;
  applied: number;
}

const NO_FAULT: FaultConfig = { mode: 'none' };

export class FaultInjector {
  private config: FaultConfig = NO_FAULT;
  private pathPattern: RegExp | undefined;
  private remaining: number | undefined;
  private applied = 0;

  constructor(private readonly clock: () => number) {}

  /** Validates and installs a fault, replacing any previous one. */
  set(input: unknown): FaultConfig {
    const config = parseFaultConfig(input);
    this.config = config;
    this.pathPattern = config.paths === undefined ? undefined : new RegExp(config.paths);
    this.remaining = config.count;
    this.applied = 0;
    return config;
  }

  clear(): void {
    this.set(NO_FAULT);
  }

  report(): FaultStatusReport {
    return { config: { ...this.config }, remaining: this.remaining ?? null, applied: this.applied };
  }

  /** Whether requests held by `mode` should stay held (that fault is installed and has not expired). */
  holds(mode: HoldingFaultMode): boolean {
    return this.config.mode === mode && !this.expiredByTime();
  }

  /** The fault for this request, if any; consumes one of `count`. Faults on a body's content wait for `takeForBody`. */
  take(path: string): ActiveFault | undefined {
    if (this.config.bodyContains !== undefined) return undefined;
    return this.consume(path);
  }

  /** For a fault with `bodyContains`: the fault for this request once its body is known, if any. */
  takeForBody(path: string, body: string): ActiveFault | undefined {
    const wanted = this.config.bodyContains;
    if (wanted === undefined || !body.includes(wanted)) return undefined;
    return this.consume(path);
  }

  private consume(path: string): ActiveFault | undefined {
    const { config } = this;
    if (config.mode === 'none' || this.expiredByTime()) return undefined;
    if (this.remaining !== undefined && this.remaining <= 0) return undefined;
    if (this.pathPattern && !this.pathPattern.test(path)) return undefined;
    if (this.remaining !== undefined) this.remaining -= 1;
    this.applied += 1;
    switch (config.mode) {
      case 'status':
        return { mode: 'status', status: config.status ?? 503 };
      case 'hang':
        return { mode: 'hang' };
      case 'latency':
        return { mode: 'latency', latencyMs: config.latencyMs ?? 0 };
      case 'apply-then-status':
        return { mode: 'apply-then-status', status: config.status ?? 502 };
      case 'apply-then-hang':
        return { mode: 'apply-then-hang' };
    }
  }

  private expiredByTime(): boolean {
    return this.config.until !== undefined && this.clock() >= this.config.until;
  }
}

/** HubSpot-shaped bodies for injected failures (HubSpot's edge sometimes sends HTML instead; clients must cope). */
export function faultError(status: FaultStatus): HubSpotApiError {
  switch (status) {
    case 423:
      return new HubSpotApiError(
        423,
        'LOCKED',
        'The resource is locked by another request. Wait at least 2 seconds and retry.',
      );
    case 500:
      return new HubSpotApiError(500, 'INTERNAL_ERROR', 'internal error');
    case 502:
      return new HubSpotApiError(502, 'BAD_GATEWAY', 'Bad Gateway');
    case 503:
      return new HubSpotApiError(503, 'SERVICE_UNAVAILABLE', 'Service Unavailable');
    case 504:
      return new HubSpotApiError(504, 'GATEWAY_TIMEOUT', 'Gateway Timeout');
  }
}

function parseFaultConfig(input: unknown): FaultConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidControlInput('faults: expected an object like {"mode":"status","status":503}');
  }
  const raw = input as Record<string, unknown>;
  const mode = raw.mode;
  if (typeof mode !== 'string' || !(FAULT_MODES as readonly string[]).includes(mode)) {
    throw new InvalidControlInput(`faults.mode must be one of ${FAULT_MODES.join(', ')}`);
  }
  const config: FaultConfig = { mode: mode as FaultMode };
  if (raw.status !== undefined) {
    if (!FAULT_STATUSES.includes(raw.status as FaultStatus)) {
      throw new InvalidControlInput(`faults.status must be one of ${FAULT_STATUSES.join(', ')}`);
    }
    config.status = raw.status as FaultStatus;
  }
  if (raw.latencyMs !== undefined) config.latencyMs = nonNegativeNumber(raw.latencyMs, 'faults.latencyMs');
  if (raw.count !== undefined) config.count = Math.floor(nonNegativeNumber(raw.count, 'faults.count'));
  if (raw.until !== undefined) config.until = nonNegativeNumber(raw.until, 'faults.until');
  if (raw.paths !== undefined) {
    if (typeof raw.paths !== 'string')
      throw new InvalidControlInput('faults.paths must be a regular expression string');
    try {
      new RegExp(raw.paths);
    } catch {
      throw new InvalidControlInput(`faults.paths is not a valid regular expression: ${raw.paths}`);
    }
    config.paths = raw.paths;
  }
  if (raw.bodyContains !== undefined) {
    if (typeof raw.bodyContains !== 'string' || raw.bodyContains === '')
      throw new InvalidControlInput('faults.bodyContains must be a non-empty string');
    if (mode !== 'status') throw new InvalidControlInput('faults.bodyContains works with mode status only');
    config.bodyContains = raw.bodyContains;
  }
  if (mode === 'latency' && config.latencyMs === undefined)
    throw new InvalidControlInput('faults.latencyMs is required for mode latency');
  return config;
}

function nonNegativeNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidControlInput(`${name} must be a non-negative number`);
  }
  return value;
}
