/** The clock port: injected so that mappers and the worker can be tested at fixed instants. */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
